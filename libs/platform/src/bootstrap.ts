import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type AppConfig, type Logger, SYSTEM_ACTOR } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { BUILT_IN_ROLES } from '@switchboard/access';
import { hashPassword } from '@switchboard/identity';

// One lock id for every bootstrap step, so many processes starting at once do it once.
const BOOTSTRAP_LOCK = 7_216_311;

/** Applies pending migrations under an advisory lock (safe with many processes starting at once). */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  await dataSource.query('SELECT pg_advisory_lock($1)', [BOOTSTRAP_LOCK]);
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.query('SELECT pg_advisory_unlock($1)', [BOOTSTRAP_LOCK]);
  }
}

/**
 * Makes the built-in roles match the code and creates the first admin when no user exists.
 * Returns the generated admin password when one was generated (to print once), else null.
 */
export async function seedEssentials(dataSource: DataSource, config: AppConfig): Promise<{ adminCreated: boolean; generatedPassword: string | null }> {
  return dataSource.transaction(async (manager) => {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    for (const [name, role] of Object.entries(BUILT_IN_ROLES)) {
      await manager.query(
        `INSERT INTO roles (name, description, permissions, is_built_in) VALUES ($1, $2, $3, true)
         ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description, permissions = EXCLUDED.permissions, is_built_in = true`,
        [name, role.description, JSON.stringify(role.permissions)],
      );
    }
    const [{ count }] = (await manager.query('SELECT count(*)::int AS count FROM users')) as Array<{ count: number }>;
    if (count > 0) return { adminCreated: false, generatedPassword: null };
    const generatedPassword = config.SWITCHBOARD_ADMIN_PASSWORD ? null : randomBytes(18).toString('base64url');
    const passwordHash = await hashPassword(config.SWITCHBOARD_ADMIN_PASSWORD ?? (generatedPassword as string));
    const [user] = (await manager.query(
      `INSERT INTO users (username, display_name, password_hash) VALUES ($1, 'Administrator', $2) RETURNING id`,
      [config.SWITCHBOARD_ADMIN_USERNAME, passwordHash],
    )) as Array<{ id: string }>;
    await manager.query(`INSERT INTO role_bindings (subject_type, subject_id, role_name, scope_type) VALUES ('user', $1, 'admin', 'global')`, [user.id]);
    await new AuditWriter().record(manager, SYSTEM_ACTOR, {
      action: 'user.created', outcome: 'succeeded', resourceType: 'user', resourceId: user.id,
      reason: 'first start: initial administrator', details: { after: { username: config.SWITCHBOARD_ADMIN_USERNAME, roles: ['admin'] } },
    });
    return { adminCreated: true, generatedPassword };
  });
}

/**
 * The key sealing secrets at rest: SWITCHBOARD_ENCRYPTION_KEY when set; otherwise one generated
 * on first use and kept in the database (convenient, but a database dump then holds both).
 */
export async function loadEncryptionKey(dataSource: DataSource, config: AppConfig, logger?: Logger): Promise<string> {
  if (config.SWITCHBOARD_ENCRYPTION_KEY) return config.SWITCHBOARD_ENCRYPTION_KEY;
  await dataSource.query(
    `INSERT INTO system_settings (name, value) VALUES ('encryption_key', $1) ON CONFLICT (name) DO NOTHING`,
    [randomBytes(32).toString('base64url')],
  );
  const [row] = (await dataSource.query(`SELECT value FROM system_settings WHERE name = 'encryption_key'`)) as Array<{ value: string }>;
  logger?.warn('SWITCHBOARD_ENCRYPTION_KEY is not set: secrets are sealed with a key kept in the database; set it in production');
  return row.value;
}
