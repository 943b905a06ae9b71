import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import {
  type Actor, APP_CONFIG, type AppConfig, currentRequestContext, InvalidatedCache, REDIS, RateLimitedError, rowsOf, TransactionRunner, UnauthenticatedError,
} from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { AccessInvalidation } from '@switchboard/access';
import { LoginThrottle } from './login-throttle';
import { verifyAgainstDummy, verifyPassword } from './password-hasher';
import { API_TOKEN_PREFIX, generateSecret, sha256Hex } from './secret-token';
import { SessionEntity } from './session.entity';
import { UserRepository } from './user.repository';
import { UserEntity } from './user.entity';
import type { AuthenticatedCaller } from './authenticated-caller';
import type { TokenScope } from './api-token.entity';

const INVALID_CREDENTIALS = 'invalid username or password';
// last_seen_at / last_used_at are written at most this often, so reads do not turn into writes.
const TOUCH_INTERVAL_MS = 60_000;
/**
 * How long an api process keeps a resolved bearer token. A revoked token, a disabled or changed
 * owner is dropped at once through AccessInvalidation; this only bounds an invalidation that goes
 * unnoticed, and saves a database round trip on nearly every token request.
 */
const TOKEN_CACHE_MS = 5_000;
/** How long a process takes its own touch of a session as the latest, for requests that read the row before it. */
const RECENT_TOUCH_MS = 5_000;
/** Bound on the sessions whose last touch a process remembers (forgetting one costs a redundant UPDATE). */
const MAX_REMEMBERED_TOUCHES = 10_000;

/** Columns of the caller's user, read in the same query as the session or token. */
const USER_COLUMNS = `u.id AS u_id, u.username AS u_username, u.display_name AS u_display_name, u.email AS u_email,
  u.is_service_account AS u_is_service_account, u.disabled AS u_disabled, u.created_at AS u_created_at, u.updated_at AS u_updated_at`;

interface UserColumns {
  u_id: string;
  u_username: string;
  u_display_name: string;
  u_email: string | null;
  u_is_service_account: boolean;
  u_disabled: boolean;
  u_created_at: Date;
  u_updated_at: Date;
}

function userFrom(row: UserColumns): UserEntity {
  return Object.assign(new UserEntity(), {
    id: row.u_id, username: row.u_username, displayName: row.u_display_name, email: row.u_email, passwordHash: null,
    isServiceAccount: row.u_is_service_account, disabled: row.u_disabled, createdAt: row.u_created_at, updatedAt: row.u_updated_at,
  });
}

interface CallerRow extends UserColumns {
  user_id: string;
  disabled: boolean;
  session_created_at?: Date;
  last_seen_at?: Date;
  expires_at?: Date | null;
  token_id?: string;
  scopes?: TokenScope[] | null;
  last_used_at?: Date | null;
  revoked_at?: Date | null;
}

/** A bearer token as read from the database, kept by the process for TOKEN_CACHE_MS. */
interface ResolvedToken {
  caller: AuthenticatedCaller & { tokenId: string };
  expiresAt: number | null;
  /** When last_used_at last moved, as far as this process knows. */
  lastUsedAt: number | null;
}

/** Logins, sessions and bearer tokens: turns a cookie or an Authorization header into a caller. */
@Injectable()
export class AuthenticationService {
  private readonly throttle: LoginThrottle;
  /** Keyed by the token's SHA-256; only live tokens of enabled users are kept. */
  private readonly tokens: InvalidatedCache<ResolvedToken | null>;
  /** Token touches in flight, by token id: concurrent requests of one token leave it to the first. */
  private readonly tokenTouches = new Map<string, Promise<void>>();
  /** Session touches in flight, and when this process last made one, by session id hash. */
  private readonly sessionTouches = new Map<string, Promise<void>>();
  private readonly sessionsTouchedAt = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserRepository,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    invalidation: AccessInvalidation,
  ) {
    this.throttle = new LoginThrottle(redis, config.SWITCHBOARD_LOGIN_MAX_FAILURES, config.SWITCHBOARD_LOGIN_WINDOW_SECONDS, config.SWITCHBOARD_LOGIN_MAX_FAILURES_PER_IP);
    this.tokens = new InvalidatedCache<ResolvedToken | null>(invalidation, { ttlMs: TOKEN_CACHE_MS, tagOf: (_hash, token) => token?.caller.user.id ?? null });
  }

  /** Checks a password and opens a session. Failures are slowed, counted and audited; none says why. */
  async login(username: string, password: string, actor: Actor): Promise<{ user: UserEntity; sessionToken: string; expiresAt: Date }> {
    const ip = actor.ip ?? 'unknown';
    const lockedFor = await this.throttle.lockedFor(username, ip);
    if (lockedFor > 0) {
      await this.recordLogin(actor, username, null, 'denied', 'too many failed logins');
      throw new RateLimitedError('too many failed logins; try again later', lockedFor);
    }
    const user = await this.users.findByUsername(username);
    const passwordOk = user?.passwordHash ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !passwordOk || user.disabled || user.isServiceAccount) {
      const failures = await this.throttle.recordFailure(username, ip);
      const reason = !user ? 'unknown user' : !passwordOk ? 'wrong password' : user.disabled ? 'user disabled' : 'service account';
      await this.recordLogin(actor, username, user?.id ?? null, 'failed', reason);
      // Slow repeated guessing down further than the hash already does.
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * failures, 1000)));
      const error = new UnauthenticatedError(INVALID_CREDENTIALS);
      error.audited = true; // recorded above as auth.login.failed
      throw error;
    }
    await this.throttle.reset(username);
    const sessionToken = generateSecret('');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.SWITCHBOARD_SESSION_MAX_HOURS * 3_600_000);
    await this.tx.run(async (manager) => {
      await manager.getRepository(SessionEntity).insert({
        idHash: sha256Hex(sessionToken), userId: user.id, createdAt: now, lastSeenAt: now, expiresAt,
        ip: actor.ip ?? null, userAgent: actor.userAgent?.slice(0, 512) ?? null,
      });
      await this.audit.record(manager, { ...actor, type: 'user', id: user.id, name: user.username }, {
        action: 'auth.login', outcome: 'succeeded', resourceType: 'user', resourceId: user.id,
      });
    });
    return { user, sessionToken, expiresAt };
  }

  async logout(caller: AuthenticatedCaller, actor: Actor): Promise<void> {
    await this.tx.run(async (manager) => {
      if (caller.sessionIdHash) await manager.delete(SessionEntity, { idHash: caller.sessionIdHash });
      await this.audit.record(manager, actor, { action: 'auth.logout', outcome: 'succeeded', resourceType: 'user', resourceId: caller.user.id });
    });
  }

  /** Resolves a session cookie. Returns null for unknown, expired (idle or absolute) or disabled. */
  async authenticateSession(cookieValue: string): Promise<AuthenticatedCaller | null> {
    const idHash = sha256Hex(cookieValue);
    const rows: CallerRow[] = await this.dataSource.query(
      `SELECT s.user_id, u.disabled, s.last_seen_at, s.expires_at, ${USER_COLUMNS}
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`,
      [idHash],
    );
    const row = rows[0];
    if (!row || row.disabled) return null;
    const now = Date.now();
    const idleLimit = this.config.SWITCHBOARD_SESSION_IDLE_MINUTES * 60_000;
    if ((row.expires_at && row.expires_at.getTime() <= now) || (row.last_seen_at && now - row.last_seen_at.getTime() > idleLimit)) {
      await this.dataSource.query('DELETE FROM sessions WHERE id_hash = $1', [idHash]);
      return null;
    }
    if (row.last_seen_at && now - row.last_seen_at.getTime() > TOUCH_INTERVAL_MS) await this.touchSession(idHash);
    return { user: userFrom(row), via: 'session', sessionIdHash: idHash, tokenScopes: null };
  }

  /**
   * Moves a session's last_seen_at, at most once a minute. Conditional, so that of the processes
   * that found it due only one writes; within a process, the first request does it, and requests
   * that read the row before that write committed (just before, or while it ran) do not try again.
   */
  private async touchSession(idHash: string): Promise<void> {
    const touchedAt = this.sessionsTouchedAt.get(idHash);
    if ((touchedAt !== undefined && Date.now() - touchedAt < RECENT_TOUCH_MS) || this.sessionTouches.has(idHash)) return;
    const touching = this.dataSource.query(
      `UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1 AND last_seen_at < now() - interval '60 seconds'`, [idHash],
    ).then(() => {
      if (this.sessionsTouchedAt.size >= MAX_REMEMBERED_TOUCHES) this.sessionsTouchedAt.clear();
      this.sessionsTouchedAt.set(idHash, Date.now());
    }).finally(() => this.sessionTouches.delete(idHash));
    this.sessionTouches.set(idHash, touching);
    await touching;
  }

  /**
   * Resolves a bearer token. Returns null for unknown, expired, revoked, or a disabled owner. The
   * resolved token is kept per process for a few seconds; revoking it, or disabling or changing its
   * owner, drops it in every process before their next request (AccessInvalidation).
   */
  async authenticateToken(bearer: string): Promise<AuthenticatedCaller | null> {
    if (!bearer.startsWith(API_TOKEN_PREFIX) || bearer.length > 200) return null;
    const hash = sha256Hex(bearer);
    const token = await this.tokens.get(hash, () => this.resolveToken(hash));
    if (!token || (token.expiresAt !== null && token.expiresAt <= Date.now())) return null;
    if (token.lastUsedAt === null || Date.now() - token.lastUsedAt > TOUCH_INTERVAL_MS) await this.touchToken(token);
    return token.caller;
  }

  private async resolveToken(tokenHash: string): Promise<ResolvedToken | null> {
    const rows: CallerRow[] = await this.dataSource.query(
      `SELECT t.id AS token_id, t.user_id, t.scopes, t.expires_at, t.last_used_at, t.revoked_at, u.disabled, ${USER_COLUMNS}
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row || !row.token_id || row.disabled || row.revoked_at) return null;
    return {
      caller: { user: userFrom(row), via: 'token', tokenId: row.token_id, tokenScopes: row.scopes ?? null },
      expiresAt: row.expires_at ? row.expires_at.getTime() : null,
      lastUsedAt: row.last_used_at ? row.last_used_at.getTime() : null,
    };
  }

  /**
   * Moves last_used_at and audits the use, at most once a minute per token. Token use is audited as
   * often as last_used_at moves, which keeps every token's activity visible without a write per
   * request. The first request that finds the token due does it; others of the same process go on.
   */
  private async touchToken(token: ResolvedToken): Promise<void> {
    const { tokenId, user } = token.caller;
    if (this.tokenTouches.has(tokenId)) return;
    const touching = this.tx.run(async (manager) => {
      // Conditional: of the processes that found the token due, only one touches and audits.
      const touched = rowsOf<{ id: string }>(await manager.query(
        `UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds') RETURNING id`,
        [tokenId],
      ));
      if (touched.length === 0) return;
      // Recorded during the request that used the token: name it, as every other event does.
      const request = currentRequestContext();
      await this.audit.record(manager, {
        type: 'token', id: user.id, name: user.username, tokenId, requestId: request?.requestId, ip: request?.ip, userAgent: request?.userAgent,
      }, {
        action: 'token.used', outcome: 'succeeded', resourceType: 'token', resourceId: tokenId,
      });
    }).then(() => {
      // Touched here or, within the minute, elsewhere: not due again before a minute from now.
      token.lastUsedAt = Date.now();
    }).finally(() => this.tokenTouches.delete(tokenId));
    this.tokenTouches.set(tokenId, touching);
    await touching;
  }

  private async recordLogin(actor: Actor, username: string, userId: string | null, outcome: 'failed' | 'denied', reason: string): Promise<void> {
    await this.tx.run((manager) =>
      this.audit.record(manager, { ...actor, type: 'anonymous', id: null, name: username.slice(0, 100) }, {
        action: 'auth.login.failed', outcome, resourceType: 'user', resourceId: userId, reason,
      }),
    );
  }
}
