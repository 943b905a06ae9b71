import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './app-runtime';
import type { Teardown } from './teardown';

export interface ApiProcessOptions {
  name: string;
  port: number;
  env: Record<string, string>;
  /** Preloads bench/access-profile-hook.ts (over an IPC channel) so that a CPU profile can be taken and written here. */
  profileFile?: string;
  /** Preloads bench/access-what-if-hook.ts with these patches (comma-separated), standing in for suggested changes. */
  whatIf?: string;
  /** Runs apps/api/src/main.ts of another checkout (default: this repository). */
  root?: string;
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
    const hooks = [
      ...(options.profileFile ? ['-r', resolve(__dirname, 'access-profile-hook.ts')] : []),
      ...(options.whatIf ? ['-r', resolve(__dirname, 'access-what-if-hook.ts')] : []),
    ];
    const root = options.root ?? REPO_ROOT;
    const child = spawn(process.execPath, ['-r', '@swc-node/register', ...hooks, resolve(root, 'apps/api/src/main.ts')], {
      cwd: root,
      env: { ...options.env, PORT: String(options.port), ...(options.whatIf ? { BENCH_ACCESS_WHAT_IF_PATCHES: options.whatIf } : {}) },
      detached: true,
      stdio: options.profileFile ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
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
    await this.askProfiler({ benchProfile: 'start' }, 'started');
  }

  /** Stops the profiler and returns the written .cpuprofile's path. */
  async stopProfile(): Promise<string> {
    const file = this.profileFile as string;
    await this.askProfiler({ benchProfile: 'stop', file }, 'written');
    return file;
  }

  private askProfiler(command: Record<string, string>, answer: string): Promise<void> {
    if (!this.profileFile || !this.child.send) return Promise.reject(new Error(`${this.name} was started without a profile file`));
    return new Promise((resolveAnswer, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.name} did not answer ${command.benchProfile} within 15 s`)), 15_000);
      const onMessage = (message: { benchProfile?: string; error?: string | null }): void => {
        if (message.benchProfile === answer) done(message.error ? new Error(`${this.name} profiler: ${message.error}`) : null);
      };
      const onExit = (): void => done(new Error(`${this.name} exited while profiling:\n${this.output}`));
      const done = (error: Error | null): void => {
        clearTimeout(timer);
        this.child.removeListener('message', onMessage);
        this.child.removeListener('exit', onExit);
        if (error) reject(error);
        else resolveAnswer();
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
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
