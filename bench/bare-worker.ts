/**
 * The bare pipeline's worker, run as its own process like Switchboard's worker: a BullMQ Worker
 * whose job records itself in PostgreSQL with two autocommit statements (queued, running), runs
 * `bash -c …` with its output piped, and records the end with a third statement. No audit, no
 * logs table, no workspace: the floor Switchboard's engine is compared with.
 */
import { spawn } from 'node:child_process';
import { type Job, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { BARE_PREFIX, BARE_QUEUE, BARE_TABLE, type BareJobData } from './bare-queue';

function runBash(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    child.stdout.resume();
    child.stderr.resume();
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.BARE_DATABASE_URL, max: Number(process.env.BARE_POOL_SIZE ?? 10), application_name: 'bare-worker' });
  const connection = new IORedis(process.env.BARE_REDIS_URL as string, { maxRetriesPerRequest: null });
  // Like Switchboard's processes: connection trouble is retried, never a crash.
  pool.on('error', () => undefined);
  connection.on('error', () => undefined);
  const worker = new Worker<BareJobData>(
    BARE_QUEUE,
    async (job: Job<BareJobData>) => {
      const id = job.id as string;
      await pool.query(`INSERT INTO ${BARE_TABLE} (id, batch, status, queued_at) VALUES ($1, $2, 'queued', to_timestamp($3::float8 / 1000))`, [id, job.data.batch, job.timestamp]);
      await pool.query(`UPDATE ${BARE_TABLE} SET status = 'running', started_at = now() WHERE id = $1 AND status = 'queued'`, [id]);
      const code = await runBash(job.data.args ?? ['-c', 'true']);
      await pool.query(`UPDATE ${BARE_TABLE} SET status = $2, finished_at = now() WHERE id = $1 AND status = 'running'`, [id, code === 0 ? 'succeeded' : 'failed']);
    },
    { connection, prefix: BARE_PREFIX, concurrency: Number(process.env.BARE_CONCURRENCY ?? 4), autorun: true },
  );
  await worker.waitUntilReady();
  process.stdout.write('bare worker ready\n');
  const stop = (): void => {
    void worker.close()
      .then(() => pool.end())
      .then(() => connection.quit())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`bare worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
