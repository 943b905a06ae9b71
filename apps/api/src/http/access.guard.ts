import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Actor, type DomainError, ForbiddenError, TransactionRunner, UnauthenticatedError } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { GrantCache, POLICY_KEY, type RoutePolicy } from '@switchboard/access';
import { type AuthenticatedCaller, AuthenticationService, SESSION_COOKIE } from '@switchboard/identity';
import type { CallerRequest } from './current-caller.decorator';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Deny by default: authenticates the request (session cookie or bearer token), then checks the
 * route's declared policy. Every refusal is an audit event. Object-level checks follow in services.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authentication: AuthenticationService,
    private readonly grants: GrantCache,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const policy = this.reflector.getAllAndOverride<RoutePolicy | undefined>(POLICY_KEY, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<CallerRequest>();
    const auth = await this.authenticate(request);
    const actor = actorFor(request, auth);
    request.caller = { auth, ability: null, actor };
    if (!policy) {
      await this.deny(actor, request, 'route declares no policy');
      throw audited(new ForbiddenError());
    }
    if (policy.kind === 'public') return true;
    if (!auth) {
      await this.deny(actor, request, 'not authenticated');
      throw audited(new UnauthenticatedError());
    }
    // Cookie-authenticated writes need a header a cross-site form cannot set (CSRF defence).
    if (auth.via === 'session' && !SAFE_METHODS.has(request.method) && request.headers['x-requested-with'] !== 'switchboard') {
      await this.deny(actor, request, 'missing X-Requested-With: switchboard header on a cookie-authenticated write');
      throw audited(new ForbiddenError('cookie-authenticated writes need the header X-Requested-With: switchboard'));
    }
    const ability = await this.grants.abilityFor(auth.user.id, auth.tokenScopes);
    request.caller.ability = ability;
    if (policy.kind === 'ability' && !ability.canSomewhere(policy.action, policy.subject)) {
      await this.deny(actor, request, `needs ${policy.action} on ${policy.subject}`);
      throw audited(new ForbiddenError(`you may not ${policy.action} ${policy.subject}`));
    }
    return true;
  }

  private async authenticate(request: CallerRequest): Promise<AuthenticatedCaller | null> {
    const header = request.headers.authorization;
    if (typeof header === 'string' && header.length > 0) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      return match ? this.authentication.authenticateToken(match[1]) : null;
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    return cookie ? this.authentication.authenticateSession(cookie) : null;
  }

  private async deny(actor: Actor, request: CallerRequest, reason: string): Promise<void> {
    await recordDenial(this.tx, this.audit, actor, request, reason);
  }
}

function audited<T extends DomainError>(error: T): T {
  error.audited = true;
  return error;
}

/** Writes an `access.denied` event for a refused request, in a transaction of its own. */
export async function recordDenial(
  tx: TransactionRunner, audit: AuditWriter, actor: Actor, request: CallerRequest, reason: string,
  resource: { type?: string | null; id?: string | null } = {},
): Promise<void> {
  await tx.run((manager) =>
    audit.record(manager, actor, {
      action: 'access.denied', outcome: 'denied', reason, resourceType: resource.type ?? null, resourceId: resource.id ?? null,
      details: { method: request.method, route: request.routeOptions?.url ?? request.url.split('?')[0] },
    }),
  );
}

export function actorFor(request: CallerRequest, auth: AuthenticatedCaller | null): Actor {
  // Object literals, not a spread of shared fields: this runs on every request, and V8 builds a
  // literal of known shape far faster than it clones and extends an object.
  const ip = request.ip ?? null;
  const agent = request.headers['user-agent'];
  const userAgent = typeof agent === 'string' ? agent.slice(0, 512) : null;
  const requestId = String(request.id);
  if (!auth) return { ip, userAgent, requestId, type: 'anonymous', id: null, name: 'anonymous' };
  return {
    ip, userAgent, requestId,
    type: auth.via === 'token' ? 'token' : 'user',
    id: auth.user.id,
    name: auth.user.username,
    tokenId: auth.tokenId ?? null,
    tokenScopes: auth.tokenScopes,
  };
}
