import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from './app-runtime';
import type { Teardown } from './teardown';

export interface LoadTarget {
  host: string;
  port: number;
}

/** One load run: either for a time (throughput) or for a number of requests (sequential latency). */
export interface LoadJob {
  /** Connections are spread over the targets round-robin (several api processes, no balancer). */
  targets: LoadTarget[];
  path: string;
  headers: Record<string, string>;
  connections: number;
  expectStatus: number;
  durationMs?: number;
  warmupMs?: number;
  requests?: number;
  warmupRequests?: number;
}

export interface LatencyFigures {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  requests: number;
  /** Every response received, warm-up and the end's drain included. */
  completedTotal: number;
  /** Responses with another status than expected, plus connection failures. */
  errors: number;
  errorSamples: string[];
  statuses: Record<string, number>;
  seconds: number;
  perSecond: number;
  /** Milliseconds from writing the request to the last byte of the response. */
  latency: LatencyFigures;
  bodyBytes: { min: number; max: number };
}

/**
 * The load generator runs in its own process, so it never shares an event loop with the api
 * (it still shares the machine's cores, which the report shows as its CPU share).
 */
export class LoadGenerator {
  private nextId = 0;
  private readonly pending = new Map<number, (result: LoadResult) => void>();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((r) => child.once('exit', () => r()));
    child.on('message', (message: { id: number; result: LoadResult }) => {
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    });
  }

  static start(teardown: Teardown): LoadGenerator {
    const child = fork(resolve(__dirname, 'access-load-client.ts'), [], {
      cwd: REPO_ROOT,
      execArgv: ['-r', '@swc-node/register'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const generator = new LoadGenerator(child);
    teardown.add('load generator', () => generator.stop());
    return generator;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  run(job: LoadJob): Promise<LoadResult> {
    const id = this.nextId;
    this.nextId += 1;
    return new Promise((resolveRun, reject) => {
      const onExit = (): void => reject(new Error(`the load generator exited (${String(this.child.exitCode ?? this.child.signalCode)})`));
      this.child.once('exit', onExit);
      this.pending.set(id, (result) => {
        this.child.removeListener('exit', onExit);
        resolveRun(result);
      });
      this.child.send({ ...job, id });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2_000))]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    await this.exited;
  }
}
