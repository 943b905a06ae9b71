import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { freePort } from '../../scripts/local-stack';
import { testEnv } from './test-env';
import { waitFor } from './test-worker';

export interface ApiProcess {
  url: string;
  http: TestAgent;
  stop(): Promise<void>;
}

/**
 * Another api, as production starts one (`node -r @swc-node/register apps/api/src/main.ts`): its own
 * process and caches, sharing the run's PostgreSQL and Redis with the in-process test api. For what
 * must hold across api processes (a revocation seen at once everywhere).
 */
export async function startApiProcess(): Promise<ApiProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, '../../apps/api/src/main.ts')], {
    cwd: resolve(__dirname, '../..'), env: { PATH: process.env.PATH, ...testEnv({ PORT: String(port), HOST: '127.0.0.1' }) }, stdio: 'ignore',
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => null))?.status === 200, 'the second api process', 30_000, 100);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, http: request(url), stop };
}
