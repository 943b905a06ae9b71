import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Requires } from '@switchboard/access';
import {
  type CreateUserInput, createUserSchema, toUserView, type UpdateUserInput, updateUserSchema, UserRepository, UserService, type UserView,
} from '@switchboard/identity';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';
import { decodeCursor, encodeCursor, pageQuerySchema } from '../http/page-query';

const listUsersQuery = pageQuerySchema.extend({ q: z.string().max(100).optional() });

@ApiTags('administration')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UserService, private readonly repository: UserRepository) {}

  @Get()
  @Requires('read', 'User')
  async list(@Query(new ZodPipe(listUsersQuery, 'query')) query: z.infer<typeof listUsersQuery>): Promise<{ items: UserView[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await this.repository.page(query.limit + 1, after, query.q ?? null);
    const items = rows.slice(0, query.limit).map(toUserView);
    return { items, nextCursor: rows.length > query.limit ? encodeCursor(items[items.length - 1].username) : null };
  }

  @Post()
  @Requires('create', 'User')
  @ApiZodBody(createUserSchema)
  async create(@Caller() caller: RequestCaller, @Body(new ZodPipe(createUserSchema)) body: CreateUserInput): Promise<UserView> {
    return toUserView(await this.users.create(caller.actor, body));
  }

  @Patch(':id')
  @Requires('update', 'User')
  @ApiZodBody(updateUserSchema)
  async update(
    @Caller() caller: RequestCaller,
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) id: string,
    @Body(new ZodPipe(updateUserSchema)) body: UpdateUserInput,
  ): Promise<UserView> {
    return toUserView(await this.users.update(caller.actor, id, body));
  }
}
