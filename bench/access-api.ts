import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './app-runtime';
import type { Teardown } from './teardown';

export interface ApiProcessOptions {
  name: string;
  port: number;
  env: Record<string, string>;
  /** Preloads bench/access-profile-hook.ts: SIGUSR2 starts a CPU profile, the next SIGUSR2 writes it here. */
  profileFile?: string;
}

/**
 * One api process as production starts it (`node -r @swc-node/register apps/api/src/main.ts`):
 * its own node and event loop, so the load generator never shares it, and its own process group,
 * so a Ctrl-C in the terminal reaches only the benchmark, which then stops it.
 */
export class ApiProcess {
  private output = '';
  private readonly exited: Promise<void>;
  private unregister: () => void = () => undefined;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly profileFile: string | undefined,
  ) {
    this.exited = new Promise((resolveExit) => child.once('exit', () => resolveExit()));
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(options: ApiProcessOptions, teardown: Teardown): Promise<ApiProcess> {
    const hook = options.profileFile ? ['-r', resolve(__dirname, 'access-profile-hook.ts')] : [];
    const child = spawn(process.execPath, ['-r', '@swc-node/register', ...hook, resolve(REPO_ROOT, 'apps/api/src/main.ts')], {
      cwd: REPO_ROOT,
      env: { ...options.env, PORT: String(options.port), ...(options.profileFile ? { BENCH_ACCESS_PROFILE_FILE: options.profileFile } : {}) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const api = new ApiProcess(options.name, options.port, child, options.profileFile);
    api.unregister = teardown.add(options.name, () => api.stop(3_000));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (api.hasExited) throw new Error(`${options.name} exited before it was ready (${String(child.exitCode ?? child.signalCode)}):\n${api.output}`);
      const ready = await fetch(`${api.url}/health/live`).then((r) => r.status === 200, () => false);
      if (ready) return api;
      if (Date.now() > deadline) throw new Error(`${options.name} was not ready within 60 s:\n${api.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Everything it printed (at SWITCHBOARD_LOG_LEVEL=silent: nothing, request logs included). */
  get printed(): string {
    return this.output;
  }

  async startProfile(): Promise<void> {
    if (!this.profileFile) throw new Error(`${this.name} was started without a profile file`);
    this.child.kill('SIGUSR2');
    await this.waitFor(`${this.profileFile}.started`);
  }

  /** Stops the profiler and returns the written .cpuprofile's path. */
  async stopProfile(): Promise<string> {
    if (!this.profileFile) throw new Error(`${this.name} was started without a profile file`);
    this.child.kill('SIGUSR2');
    await this.waitFor(this.profileFile);
    return this.profileFile;
  }

  private async waitFor(file: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (!existsSync(file)) {
      if (this.hasExited) throw new Error(`${this.name} exited while profiling:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not write ${file} within 15 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Peak resident memory (VmHWM), MB. */
  peakRssMb(): number {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Math.round(Number(match[1]) / 1024) : NaN;
    } catch {
      return NaN;
    }
  }

  /** SIGTERM (Nest closes the server and the pools), SIGKILL for the whole group after the grace period. */
  async stop(graceMs = 10_000): Promise<void> {
    this.unregister();
    if (!this.hasExited) {
      this.child.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // the group is already empty
    }
    await this.exited;
  }
}
