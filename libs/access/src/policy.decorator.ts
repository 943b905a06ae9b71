import { SetMetadata } from '@nestjs/common';
import type { Action, SubjectType } from './permission';

export const POLICY_KEY = 'switchboard:policy';

/** What a route needs. Every route declares exactly one; the guard refuses routes that declare none. */
export type RoutePolicy =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'ability'; action: Action; subject: SubjectType };

/** Anyone, signed in or not (login, health, hooks that check their own signature). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(POLICY_KEY, { kind: 'public' } satisfies RoutePolicy);

/** Any signed-in caller; the service decides per object (e.g. own tokens). */
export const Authenticated = (): MethodDecorator & ClassDecorator =>
  SetMetadata(POLICY_KEY, { kind: 'authenticated' } satisfies RoutePolicy);

/**
 * The caller must hold `action` on `subject` somewhere. Object-level checks (this procedure, this
 * execution) happen in the service after loading the object, answering 404 when it is not visible.
 */
export const Requires = (action: Action, subject: SubjectType): MethodDecorator & ClassDecorator =>
  SetMetadata(POLICY_KEY, { kind: 'ability', action, subject } satisfies RoutePolicy);
