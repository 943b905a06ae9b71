import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { NotFoundError } from '@switchboard/core';
import {
  AccessAdminService, AccessRepository, ACTIONS, type BindingView, type CreateBindingInput, createBindingSchema, type CreateRoleInput, createRoleSchema,
  explainAccess, type Explanation, Requires, SUBJECTS,
} from '@switchboard/access';
import { UserRepository } from '@switchboard/identity';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';

const UUID = new ParseUUIDPipe({ errorHttpStatusCode: 404 });
const bindingQuery = z.object({ subject: z.string().uuid().optional(), scope: z.string().uuid().optional() });
const explainQuery = z.object({
  user: z.string().uuid('must be a user id'),
  action: z.enum(ACTIONS),
  subject: z.enum(SUBJECTS),
  id: z.string().uuid('must be an object id').optional(),
});

@ApiTags('access')
@Controller()
export class AccessController {
  constructor(
    private readonly admin: AccessAdminService,
    private readonly repository: AccessRepository,
    private readonly users: UserRepository,
  ) {}

  @Get('roles')
  @Requires('read', 'Role')
  async roles(): Promise<{ items: unknown[]; nextCursor: null }> {
    const roles = await this.admin.listRoles();
    return { items: roles.map((r) => ({ name: r.name, description: r.description, permissions: r.permissions, builtIn: r.isBuiltIn })), nextCursor: null };
  }

  @Post('roles')
  @Requires('create', 'Role')
  @ApiZodBody(createRoleSchema)
  async createRole(@Caller() caller: RequestCaller, @Body(new ZodPipe(createRoleSchema)) body: CreateRoleInput): Promise<unknown> {
    const role = await this.admin.createRole(caller.actor, body);
    return { name: role.name, description: role.description, permissions: role.permissions, builtIn: false };
  }

  @Get('role-bindings')
  @Requires('read', 'RoleBinding')
  async bindings(@Caller() caller: RequestCaller, @Query(new ZodPipe(bindingQuery, 'query')) query: z.infer<typeof bindingQuery>): Promise<{ items: BindingView[]; nextCursor: null }> {
    return { items: await this.admin.listBindings(caller.ability!, { subjectId: query.subject, scopeId: query.scope }), nextCursor: null };
  }

  @Post('role-bindings')
  @Requires('grant', 'RoleBinding')
  @ApiZodBody(createBindingSchema)
  createBinding(@Caller() caller: RequestCaller, @Body(new ZodPipe(createBindingSchema)) body: CreateBindingInput): Promise<BindingView> {
    return this.admin.createBinding(caller.actor, caller.ability!, body);
  }

  @Delete('role-bindings/:id')
  @HttpCode(204)
  @Requires('grant', 'RoleBinding')
  async deleteBinding(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<void> {
    await this.admin.deleteBinding(caller.actor, caller.ability!, id);
  }

  /** "Why can('t) this user do that?" — for admins and auditors. */
  @Get('access/explain')
  @Requires('read', 'User')
  async explain(@Query(new ZodPipe(explainQuery, 'query')) query: z.infer<typeof explainQuery>): Promise<Explanation & { user: { id: string; username: string } }> {
    const user = await this.users.findById(query.user);
    if (!user) throw new NotFoundError('user');
    const attributes = query.id ? await this.repository.objectAttributes(query.subject, query.id) : null;
    if (query.id && !attributes) throw new NotFoundError(query.subject);
    const explanation = explainAccess(user.id, await this.repository.grantsForUser(user.id), query.action, query.subject, attributes);
    return { user: { id: user.id, username: user.username }, ...explanation, ...(user.disabled ? { allowed: false, reason: 'denied: the user is disabled' } : {}) };
  }
}
