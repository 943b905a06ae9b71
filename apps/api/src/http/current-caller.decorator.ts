import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '@switchboard/core';
import type { CallerAbility } from '@switchboard/access';
import type { AuthenticatedCaller } from '@switchboard/identity';

/** What the access guard attaches to each request. */
export interface RequestCaller {
  auth: AuthenticatedCaller | null;
  ability: CallerAbility | null;
  actor: Actor;
}

export type CallerRequest = FastifyRequest & { caller?: RequestCaller };

/** The authenticated caller (guaranteed on routes that are not @Public). */
export const Caller = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestCaller => {
  const request = ctx.switchToHttp().getRequest<CallerRequest>();
  if (!request.caller) throw new Error('caller missing: route reached without the access guard');
  return request.caller;
});
