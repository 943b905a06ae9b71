import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Actor, InvalidError, NotFoundError, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { AccessInvalidation, AccessRepository, ACTIONS, type Action, CallerAbility, SUBJECTS, type SubjectType } from '@switchboard/access';
import { ApiTokenEntity } from './api-token.entity';
import { API_TOKEN_PREFIX, generateSecret, sha256Hex } from './secret-token';
import type { CreateTokenInput } from './identity.schema';

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiTokenEntity['scopes'];
  expiresAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}

export function toTokenView(token: ApiTokenEntity): TokenView {
  return {
    id: token.id, name: token.name, prefix: token.prefix, scopes: token.scopes,
    expiresAt: token.expiresAt?.toISOString() ?? null, lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    createdAt: token.createdAt.toISOString(),
  };
}

const MAX_TOKEN_LIFETIME_DAYS = 366;

/** Personal and service-account API tokens: created once, listed without the secret, revoked. */
@Injectable()
export class TokenService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly access: AccessRepository,
    private readonly invalidation: AccessInvalidation,
  ) {}

  /** A token's scopes must be a subset of its owner's rights: each one is checked now. */
  private async checkScopes(ownerId: string, scopes: CreateTokenInput['scopes']): Promise<void> {
    if (!scopes) return;
    const owner = new CallerAbility(ownerId, await this.access.grantsForUser(ownerId));
    for (const [index, scope] of scopes.entries()) {
      const field = `scopes[${index}]`;
      if (!(ACTIONS as readonly string[]).includes(scope.action)) throw new InvalidError('invalid token', [{ field: `${field}.action`, message: `must be one of ${ACTIONS.join(', ')}` }]);
      if (!(SUBJECTS as readonly string[]).includes(scope.subject)) throw new InvalidError('invalid token', [{ field: `${field}.subject`, message: `must be one of ${SUBJECTS.join(', ')}` }]);
      const action = scope.action as Action;
      const subject = scope.subject as SubjectType;
      const attributes = scope.id ? await this.access.objectAttributes(subject, scope.id) : null;
      if (scope.id && !attributes) throw new InvalidError('invalid token', [{ field: `${field}.id`, message: `is not a known ${subject}` }]);
      const held = attributes ? owner.can(action, subject, attributes) : owner.canSomewhere(action, subject);
      if (!held) throw new InvalidError('invalid token', [{ field, message: `exceeds the owner's rights: the owner may not ${action} ${subject}${scope.id ? ' ' + scope.id : ''}` }]);
    }
  }

  async create(actor: Actor, ownerId: string, input: CreateTokenInput): Promise<{ token: ApiTokenEntity; secret: string }> {
    const now = Date.now();
    // Tokens always expire: 90 days unless asked otherwise, never more than a year.
    const expiresAt = input.expiresAt ? new Date(input.expiresAt) : new Date(now + 90 * 86_400_000);
    if (expiresAt.getTime() <= now) throw new InvalidError('invalid token', [{ field: 'expiresAt', message: 'must be in the future' }]);
    if (expiresAt.getTime() > now + MAX_TOKEN_LIFETIME_DAYS * 86_400_000) {
      throw new InvalidError('invalid token', [{ field: 'expiresAt', message: `must be within ${MAX_TOKEN_LIFETIME_DAYS} days` }]);
    }
    await this.checkScopes(ownerId, input.scopes);
    const secret = generateSecret(API_TOKEN_PREFIX);
    return this.tx.run(async (manager) => {
      const repo = manager.getRepository(ApiTokenEntity);
      const token = await repo.save(repo.create({
        userId: ownerId, name: input.name, tokenHash: sha256Hex(secret), prefix: secret.slice(0, API_TOKEN_PREFIX.length + 6),
        scopes: input.scopes ?? null, expiresAt, createdAt: new Date(now), lastUsedAt: null, revokedAt: null,
      }));
      await this.audit.record(manager, actor, {
        action: 'token.created', outcome: 'succeeded', resourceType: 'token', resourceId: token.id,
        details: { after: toTokenView(token), ownerId },
      });
      return { token, secret };
    });
  }

  listForUser(userId: string): Promise<ApiTokenEntity[]> {
    return this.dataSource.getRepository(ApiTokenEntity).createQueryBuilder('t')
      .where('t.user_id = :userId AND t.revoked_at IS NULL', { userId }).orderBy('t.created_at', 'DESC').limit(500).getMany();
  }

  /** Revokes one of the caller's own tokens (or any, for admins); others' tokens are "not found". */
  async revoke(actor: Actor, tokenId: string, mayRevokeAny: boolean): Promise<void> {
    const ownerId = await this.tx.run(async (manager) => {
      const token = await manager.getRepository(ApiTokenEntity).findOneBy({ id: tokenId });
      if (!token || token.revokedAt || (!mayRevokeAny && token.userId !== actor.id)) throw new NotFoundError('token');
      await manager.update(ApiTokenEntity, { id: tokenId }, { revokedAt: new Date() });
      await this.audit.record(manager, actor, {
        action: 'token.revoked', outcome: 'succeeded', resourceType: 'token', resourceId: tokenId, details: { before: toTokenView(token) },
      });
      return token.userId;
    });
    // After the commit: every api process drops the owner's resolved tokens before its next request.
    await this.invalidation.invalidate(ownerId);
  }
}
