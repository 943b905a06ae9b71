import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Authenticated, Requires } from '@switchboard/access';
import {
  type ChannelView, type CreateChannelInput, createChannelSchema, NotificationChannelService, type NotificationDeliveryEntity, toChannelView,
  type UpdateChannelInput, updateChannelSchema,
} from '@switchboard/notifications';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';

const UUID = new ParseUUIDPipe({ errorHttpStatusCode: 404 });
const deliveriesQuery = z.object({
  execution: z.string().uuid('must be an execution id').optional(),
  project: z.string().uuid('must be a project id').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

@ApiTags('notifications')
@Controller()
export class NotificationsController {
  constructor(private readonly channels: NotificationChannelService) {}

  @Get('projects/:id/channels')
  @Requires('read', 'Channel')
  async list(@Caller() caller: RequestCaller, @Param('id', UUID) projectId: string): Promise<{ items: ChannelView[]; nextCursor: null }> {
    return { items: (await this.channels.list(caller.ability!, projectId)).map(toChannelView), nextCursor: null };
  }

  /** Creates a channel; a webhook's signing secret is in this response only. */
  @Post('projects/:id/channels')
  @Requires('create', 'Channel')
  @ApiZodBody(createChannelSchema)
  async create(@Caller() caller: RequestCaller, @Param('id', UUID) projectId: string, @Body(new ZodPipe(createChannelSchema)) body: CreateChannelInput): Promise<ChannelView & { secret?: string }> {
    const { channel, secret } = await this.channels.create(caller.actor, caller.ability!, projectId, body);
    return { ...toChannelView(channel), ...(secret ? { secret } : {}) };
  }

  @Patch('projects/:id/channels/:channelId')
  @Requires('update', 'Channel')
  @ApiZodBody(updateChannelSchema)
  async update(
    @Caller() caller: RequestCaller, @Param('id', UUID) projectId: string, @Param('channelId', UUID) channelId: string,
    @Body(new ZodPipe(updateChannelSchema)) body: UpdateChannelInput,
  ): Promise<ChannelView> {
    return toChannelView(await this.channels.update(caller.actor, caller.ability!, projectId, channelId, body));
  }

  @Delete('projects/:id/channels/:channelId')
  @HttpCode(204)
  @Requires('delete', 'Channel')
  async remove(@Caller() caller: RequestCaller, @Param('id', UUID) projectId: string, @Param('channelId', UUID) channelId: string): Promise<void> {
    await this.channels.remove(caller.actor, caller.ability!, projectId, channelId);
  }

  /** What was sent, to whom, each attempt and its result. */
  @Get('notifications/deliveries')
  @Authenticated()
  async deliveries(@Caller() caller: RequestCaller, @Query(new ZodPipe(deliveriesQuery, 'query')) query: z.infer<typeof deliveriesQuery>): Promise<{ items: unknown[]; nextCursor: null }> {
    const rows = await this.channels.deliveries(caller.ability!, { executionId: query.execution, projectId: query.project }, query.limit);
    return {
      items: rows.map((d: NotificationDeliveryEntity) => ({
        id: d.id, event: d.eventType, eventKey: d.eventKey, channelId: d.channelId, channelType: d.channelType, target: d.target, executionId: d.executionId,
        status: d.status, attempts: d.attempts, subject: d.message.subject, createdAt: d.createdAt.toISOString(), deliveredAt: d.deliveredAt?.toISOString() ?? null,
      })),
      nextCursor: null,
    };
  }
}
