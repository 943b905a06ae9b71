import { z } from 'zod';

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const configSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'is required (e.g. postgres://user:pass@host:5432/db)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  REDIS_URL: z
    .string({ error: 'is required (e.g. redis://127.0.0.1:6379)' })
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  SWITCHBOARD_ADMIN_USERNAME: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,62}$/i, 'must be 2-63 letters, digits, . _ -').default('admin'),
  SWITCHBOARD_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  SWITCHBOARD_DATA_DIR: z.string().default('.data'),
  SWITCHBOARD_PUBLIC_URL: z.string().url('must be a URL').optional(),
  SWITCHBOARD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SWITCHBOARD_SESSION_IDLE_MINUTES: z.coerce.number().int().positive().default(60 * 8),
  SWITCHBOARD_SESSION_MAX_HOURS: z.coerce.number().int().positive().default(24 * 7),
  SWITCHBOARD_COOKIE_SECURE: booleanText.optional(),
  SWITCHBOARD_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  SWITCHBOARD_LOGIN_MAX_FAILURES: z.coerce.number().int().positive().default(5),
  SWITCHBOARD_LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(50),
  SWITCHBOARD_LOGIN_WINDOW_SECONDS: z.coerce.number().int().positive().default(15 * 60),
  SWITCHBOARD_WORKER_GROUPS: z.string().default('default'),
  SWITCHBOARD_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
  SWITCHBOARD_WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SWITCHBOARD_WORKER_ID: z.string().optional(),
  SWITCHBOARD_HEARTBEAT_SECONDS: z.coerce.number().positive().default(5),
  SWITCHBOARD_WORKER_LOST_SECONDS: z.coerce.number().positive().default(30),
  SWITCHBOARD_SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(30),
  /** Runs waiting for approval longer than this are rejected as expired, unless the procedure says otherwise. */
  SWITCHBOARD_APPROVAL_EXPIRY_HOURS: z.coerce.number().positive().default(24),
  SWITCHBOARD_OUTPUT_LIMIT_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  /** Key material for secrets at rest; when unset, a key is generated and kept in the database. */
  SWITCHBOARD_ENCRYPTION_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Outgoing mail for email channels and owners' notices, e.g. smtp://user:pass@mail:587. */
  SWITCHBOARD_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  SWITCHBOARD_SMTP_FROM: z.string().default('Switchboard <switchboard@localhost>'),
  /** Webhook and Slack targets on private or loopback addresses are refused unless this is true. */
  SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE: booleanText.default(false),
  /** When set, GET /metrics needs `Authorization: Bearer <this>`. */
  SWITCHBOARD_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SWITCHBOARD_KILL_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  /** Where workers make execution workspaces (made 0700 if missing); the OS temp dir when unset. */
  SWITCHBOARD_WORKSPACE_DIR: z.string().startsWith('/', 'must be an absolute path').optional(),
  /** Which step launcher a worker starts: python3 if found, else node (`auto`), or only the one named. */
  SWITCHBOARD_STEP_LAUNCHER: z.enum(['auto', 'python3', 'node']).default('auto'),
  /** The interpreter of the python step launcher; unset: /usr/bin/python3, then the first python3 on PATH. */
  SWITCHBOARD_STEP_LAUNCHER_PYTHON: z.string().startsWith('/', 'must be an absolute path').optional(),
  /** Bash shells each worker's python launcher keeps ready ahead of the bash steps that will use them (0: none; unset: 8 forked, 2 started). */
  SWITCHBOARD_WARM_SHELLS: z.coerce.number().int().min(0).max(64).optional(),
  /** How the python launcher makes them: forked by one bash it keeps (`fork`, where possible), or each started anew (`start`). */
  SWITCHBOARD_WARM_SHELLS_BY: z.enum(['fork', 'start']).default('fork'),
  SWITCHBOARD_TRUST_PROXY: booleanText.default(false),
  SWITCHBOARD_DB_POOL_SIZE: z.coerce.number().int().positive().default(10),
  /** How often each process tries to seal committed audit events into the hash chain (0: never; another process must). */
  SWITCHBOARD_AUDIT_SEAL_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
});

export type AppConfig = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/**
 * Reads and validates configuration from the environment. A bad value is reported as one line
 * naming the variable, so an operator can fix it without reading a stack trace.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue.path[0] ?? 'environment');
  throw new ConfigError(`configuration: ${name} ${issue.message}`);
}

/** Exits with one clear line instead of a stack trace when configuration is invalid. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
