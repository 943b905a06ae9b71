import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import {
  type Actor, APP_CONFIG, type AppConfig, REDIS, RateLimitedError, rowsOf, TransactionRunner, UnauthenticatedError,
} from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
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

/** Logins, sessions and bearer tokens: turns a cookie or an Authorization header into a caller. */
@Injectable()
export class AuthenticationService {
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UserRepository,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.throttle = new LoginThrottle(redis, config.SWITCHBOARD_LOGIN_MAX_FAILURES, config.SWITCHBOARD_LOGIN_WINDOW_SECONDS, config.SWITCHBOARD_LOGIN_MAX_FAILURES_PER_IP);
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
    if (row.last_seen_at && now - row.last_seen_at.getTime() > TOUCH_INTERVAL_MS) {
      await this.dataSource.query(`UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1 AND last_seen_at < now() - interval '60 seconds'`, [idHash]);
    }
    return { user: userFrom(row), via: 'session', sessionIdHash: idHash, tokenScopes: null };
  }

  /** Resolves a bearer token. Returns null for unknown, expired, revoked, or a disabled owner. */
  async authenticateToken(bearer: string): Promise<AuthenticatedCaller | null> {
    if (!bearer.startsWith(API_TOKEN_PREFIX) || bearer.length > 200) return null;
    const rows: CallerRow[] = await this.dataSource.query(
      `SELECT t.id AS token_id, t.user_id, t.scopes, t.expires_at, t.last_used_at, t.revoked_at, u.disabled, ${USER_COLUMNS}
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [sha256Hex(bearer)],
    );
    const row = rows[0];
    if (!row || row.disabled || row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
      // Token use is audited as often as last_used_at moves (at most once a minute per token),
      // which keeps every token's activity visible without a write per request.
      await this.tx.run(async (manager) => {
        // Conditional: of many concurrent requests that saw a stale time, only one touches and audits.
        const touched = rowsOf<{ id: string }>(await manager.query(
          `UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds') RETURNING id`,
          [row.token_id],
        ));
        if (touched.length === 0) return;
        await this.audit.record(manager, { type: 'token', id: row.user_id, name: row.u_username, tokenId: row.token_id }, {
          action: 'token.used', outcome: 'succeeded', resourceType: 'token', resourceId: row.token_id,
        });
      });
    }
    return { user: userFrom(row), via: 'token', tokenId: row.token_id, tokenScopes: row.scopes ?? null };
  }

  private async recordLogin(actor: Actor, username: string, userId: string | null, outcome: 'failed' | 'denied', reason: string): Promise<void> {
    await this.tx.run((manager) =>
      this.audit.record(manager, { ...actor, type: 'anonymous', id: null, name: username.slice(0, 100) }, {
        action: 'auth.login.failed', outcome, resourceType: 'user', resourceId: userId, reason,
      }),
    );
  }
}
