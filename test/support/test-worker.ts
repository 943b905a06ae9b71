import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { ExecutionsProcessor } from '../../apps/worker/src/executions.processor';
import { testConfig, testEnv } from './test-env';

/** Worker settings that make supervision observable within a test's patience. */
export const FAST_SUPERVISION = {
  SWITCHBOARD_HEARTBEAT_SECONDS: '0.5',
  SWITCHBOARD_WORKER_LOST_SECONDS: '3',
  SWITCHBOARD_SHUTDOWN_GRACE_SECONDS: '5',
  SWITCHBOARD_KILL_GRACE_MS: '1000',
};

export interface TestWorker {
  app: INestApplicationContext;
  processor: ExecutionsProcessor;
  close(): Promise<void>;
}

/** A worker in the test process, on the run's shared PostgreSQL and Redis. */
export async function startTestWorker(overrides: Record<string, string> = {}): Promise<TestWorker> {
  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    WorkerModule.forRoot(testConfig({ ...FAST_SUPERVISION, ...overrides })),
    { logger: false },
  );
  const processor = app.get(ExecutionsProcessor);
  await processor.start();
  return {
    app,
    processor,
    close: async () => {
      await processor.drain();
      await app.close();
    },
  };
}

/** A worker as a real child process (to kill it, or restart what it depends on). */
export function spawnWorker(overrides: Record<string, string> = {}): ChildProcess {
  const root = resolve(__dirname, '..', '..');
  return spawn(process.execPath, ['-r', '@swc-node/register', resolve(root, 'apps/worker/src/main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, ...testEnv({ ...FAST_SUPERVISION, ...overrides }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Waits for a condition with a deadline; no sleeps pretending to be synchronization. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
