import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AppRuntime, REPO_ROOT } from './app-runtime';
import { hopTraceProcessOptions } from './hop-trace';
import type { Teardown } from './teardown';

export interface AppProcessOptions {
  /** For messages only: "api", "worker c=4", … */
  name: string;
  /** Entry point relative to the repository root, without extension ("apps/worker/src/main"). */
  entry: string;
  runtime: AppRuntime;
  env: Record<string, string>;
  /** Resolves true once the process serves; polled every 50 ms. */
  isReady: (output: string) => Promise<boolean>;
  readyTimeoutMs?: number;
}

/**
 * One application process (api, worker, bare worker) as production runs it: its own node, its own
 * event loop, its own process group (so a Ctrl-C in the terminal reaches only the benchmark, which
 * then drains it properly with SIGTERM).
 */
export class AppProcess {
  private output = '';
  private exited: Promise<void>;
  private unregister: () => void = () => undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolveExit) => child.once('exit', () => resolveExit()));
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(options: AppProcessOptions, teardown: Teardown): Promise<AppProcess> {
    // BENCH_CPU_PROFILE=<dir>: every process writes a V8 CPU profile there when it exits (for finding hot spots).
    const profile = process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.BENCH_CPU_PROFILE)}`] : [];
    // BENCH_PERF_MAP=1: V8 writes /tmp/perf-<pid>.map, so `perf record` names JavaScript frames. Unlike
    // --cpu-prof, perf counts CPU time only: a wall-clock sampler on a busy 2-core machine charges
    // the time a process waits for a core to whatever call it was in (often writev).
    if (process.env.BENCH_PERF_MAP === '1') profile.push('--perf-basic-prof');
    // BENCH_NODE_FLAGS="--flag …": extra node flags for every process under test (for experiments).
    profile.push(...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean));
    // BENCH_HOPS=1: the benchmark set BENCH_HOP_TRACE_DIR, and every process notes its hops there (bench/hop-trace.cjs).
    const hops = process.env.BENCH_HOP_TRACE_DIR ? hopTraceProcessOptions(process.env.BENCH_HOP_TRACE_DIR) : { flags: [], env: {} };
    const command = options.runtime.command(options.entry);
    const child = spawn(process.execPath, [...profile, ...hops.flags, ...command.args], {
      cwd: REPO_ROOT,
      env: { ...options.env, ...command.env, ...hops.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const app = new AppProcess(options.name, child);
    // BENCH_APP_OUTPUT_DIR=<dir>: everything each process prints also goes to <dir>/<pid>.log, each
    // line prefixed with the epoch milliseconds it arrived at (for --trace-opt and the like, by time).
    if (process.env.BENCH_APP_OUTPUT_DIR) {
      const file = createWriteStream(join(resolve(process.env.BENCH_APP_OUTPUT_DIR), `${String(child.pid)}.log`));
      const stamper = (): ((chunk: Buffer) => void) => {
        let lineStart = true;
        return (chunk) => {
          const text = chunk.toString();
          file.write(text.replace(/\n(?=.)/gs, `\n${Date.now()} `).replace(/^/, lineStart ? `${Date.now()} ` : ''));
          lineStart = text.endsWith('\n');
        };
      };
      child.stdout?.on('data', stamper());
      child.stderr?.on('data', stamper());
      child.once('exit', () => file.end());
    }
    // On failure or Ctrl-C there is nothing to drain for: a short grace keeps the cleanup quick.
    app.unregister = teardown.add(options.name, () => app.stop(3_000));
    const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (app.hasExited) throw new Error(`${options.name} exited before it was ready (${String(child.exitCode ?? child.signalCode)}):\n${app.output}`);
      if (await options.isReady(app.output).catch(() => false)) return app;
      if (Date.now() > deadline) throw new Error(`${options.name} was not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${app.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** What it printed last (for error messages). */
  get recentOutput(): string {
    return this.output;
  }

  /** SIGTERM (the apps drain and exit), SIGKILL for the whole group after the grace period. */
  async stop(graceMs = 20_000): Promise<void> {
    this.unregister();
    if (!this.hasExited) {
      this.child.kill('SIGTERM');
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
      ]);
      if (timedOut) process.stderr.write(`bench: ${this.name} did not exit ${graceMs} ms after SIGTERM; killing it\n`);
    }
    try {
      process.kill(-this.pid, 'SIGKILL'); // anything it left behind in its group
    } catch {
      // the group is already empty
    }
    await this.exited;
  }
}
