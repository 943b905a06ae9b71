import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Requires } from '@switchboard/access';
import { type CreateTeamInput, createTeamSchema, TeamService, type TeamView } from '@switchboard/identity';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';

const UUID = new ParseUUIDPipe({ errorHttpStatusCode: 404 });

@ApiTags('administration')
@Controller('teams')
export class TeamsController {
  constructor(private readonly teams: TeamService) {}

  @Get()
  @Requires('read', 'Team')
  async list(): Promise<{ items: TeamView[]; nextCursor: null }> {
    return { items: await this.teams.list(), nextCursor: null };
  }

  @Post()
  @Requires('create', 'Team')
  @ApiZodBody(createTeamSchema)
  create(@Caller() caller: RequestCaller, @Body(new ZodPipe(createTeamSchema)) body: CreateTeamInput): Promise<TeamView> {
    return this.teams.create(caller.actor, body);
  }

  @Post(':id/members/:userId')
  @HttpCode(204)
  @Requires('update', 'Team')
  async addMember(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Param('userId', UUID) userId: string): Promise<void> {
    await this.teams.addMember(caller.actor, id, userId);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @Requires('update', 'Team')
  async removeMember(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Param('userId', UUID) userId: string): Promise<void> {
    await this.teams.removeMember(caller.actor, id, userId);
  }
}
