import { spawn, type ChildProcess } from 'node:child_process';
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, isAbsolute, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { describeAbortReason } from './abort-reason';
import type { ExecutionWorkspace } from './execution-workspace';
import { InvalidStepError } from './invalid-step.error';
import { OutputBudget } from './output-budget';
import { ProcessGroup } from './process-group';
import { buildStepEnvironment } from './step-environment';
import { StepLog } from './step-log';
import { DEFAULT_STEP_OUTPUT_LIMITS, parseStepOutputs, StepOutputsError, type StepOutputLimits } from './step-outputs';
import type { OnStepLine, StepResult } from './step-result';

export const SHELL_STEP_INTERPRETERS = ['bash', 'sh', 'python3', 'node'] as const;
export const DEFAULT_KILL_GRACE_MS = 5_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 1_000;

/** How long to wait for SIGKILLed processes to disappear before reporting anyway. */
const KILL_SETTLE_MS = 2_000;

export interface ShellStepOptions {
  workspace: ExecutionWorkspace;
  stepName: string;
  /** `bash`, `sh`, `python3`, `node`, or an absolute path to an interpreter. */
  shell: string;
  run: string;
  previousOutputs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  secretEnv?: Readonly<Record<string, string>>;
  /** PATH of the step; defaults to DEFAULT_STEP_PATH. */
  path?: string;
  onLine: OnStepLine;
  /** Called once the step's process runs; its pid is also its process group id. */
  onStart?: (process: { pid: number }) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL on cancel or timeout. */
  killGraceMs?: number;
  /**
   * How long to keep reading output once the step's process group is gone. Only a process that
   * left the group (setsid, a daemon) can still hold the pipes open then.
   */
  drainTimeoutMs?: number;
  /** Share one budget across the steps of an execution; defaults to a fresh one per step. */
  outputBudget?: OutputBudget;
  maxLineBytes?: number;
  outputLimits?: StepOutputLimits;
}

interface Interpreter {
  command: string;
  args: string[];
  extension: string;
}

/**
 * Runs one shell step: its script text goes to a file that the interpreter reads, parameters go
 * only into the environment, and every process the step starts lives in one process group that
 * is killed as a whole on cancel, on timeout, and when the step ends.
 */
export async function runShellStep(options: ShellStepOptions): Promise<StepResult> {
  const interpreter = resolveInterpreter(options.shell);
  const limits: ProcessLimits = {
    killGraceMs: checkDuration('killGraceMs', options.killGraceMs ?? DEFAULT_KILL_GRACE_MS),
    drainTimeoutMs: checkDuration('drainTimeoutMs', options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS),
    timeoutMs: options.timeoutMs === undefined ? undefined : checkDuration('timeoutMs', options.timeoutMs),
  };
  const startedAt = new Date();
  if (options.signal?.aborted) {
    return { ...emptyResult(startedAt), outcome: 'canceled', reason: describeAbortReason(options.signal) };
  }

  const { workspace } = options;
  const outputFile = await workspace.createOutputFile(options.stepName);
  const env = buildStepEnvironment({
    executionId: workspace.executionId,
    stepName: options.stepName,
    homeDir: workspace.homeDir,
    tmpDir: workspace.tmpDir,
    paramsFile: workspace.paramsFile,
    outputFile,
    params: workspace.params,
    previousOutputs: options.previousOutputs,
    secretEnv: options.secretEnv,
    path: options.path,
  });
  const scriptFile = await workspace.writeScript(options.stepName, options.run, interpreter.extension);

  const stepProcess = new StepProcess(options, limits);
  const end = await stepProcess.run(interpreter.command, [...interpreter.args, scriptFile], { cwd: workspace.workDir, env });
  if (!end.hasStarted) {
    const reason = `could not start ${interpreter.command}: ${describeSpawnError(end.error)}`;
    stepProcess.log.system(`[switchboard] ${reason}`);
    return { ...emptyResult(startedAt), reason };
  }

  let outputs: Record<string, string> = {};
  let outputsProblem: string | undefined;
  try {
    outputs = await readStepOutputs(outputFile, options.outputLimits ?? DEFAULT_STEP_OUTPUT_LIMITS);
  } catch (error: unknown) {
    if (!(error instanceof StepOutputsError)) throw error;
    outputsProblem = `invalid $SWITCHBOARD_OUTPUT: ${error.message}`;
    stepProcess.log.system(`[switchboard] ${outputsProblem}`);
  }

  const result = { ...emptyResult(startedAt), exitCode: end.code, signal: end.signal, outputs };
  if (end.termination) return { ...result, outcome: end.termination.outcome, reason: end.termination.reason };
  if (end.code === 0 && outputsProblem === undefined) return { ...result, outcome: 'succeeded' };
  if (end.code === 0) return { ...result, reason: outputsProblem };
  return { ...result, reason: end.code === null ? `killed by ${String(end.signal)}` : `exited with code ${end.code}` };
}

interface ProcessLimits {
  timeoutMs: number | undefined;
  killGraceMs: number;
  drainTimeoutMs: number;
}

interface Termination {
  outcome: 'canceled' | 'timed_out';
  reason: string;
}

type ProcessEnd =
  | { hasStarted: false; error: unknown }
  | { hasStarted: true; code: number | null; signal: NodeJS.Signals | null; termination?: Termination };

/** One run of a step's process group, from spawn until nothing of it is left and its output is read. */
class StepProcess {
  readonly log: StepLog;
  private group: ProcessGroup | undefined;
  private termination: (Termination & { escalation: Promise<void> }) | undefined;
  private hasExited = false;

  constructor(
    private readonly options: ShellStepOptions,
    private readonly limits: ProcessLimits,
  ) {
    this.log = new StepLog({
      onLine: options.onLine,
      budget: options.outputBudget ?? new OutputBudget(),
      maxLineBytes: options.maxLineBytes,
      onCallbackError: () => this.group?.signal('SIGKILL'),
    });
  }

  async run(command: string, args: string[], spawnOptions: { cwd: string; env: NodeJS.ProcessEnv }): Promise<ProcessEnd> {
    let child: ChildProcess;
    try {
      // detached: the step becomes its own process group, so one kill(-pgid) reaches all it started.
      child = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error: unknown) {
      return { hasStarted: false, error };
    }
    const spawned = new Promise<{ error?: Error }>((resolve) => {
      child.once('spawn', () => resolve({}));
      // Kept for the child's lifetime: an 'error' event without a listener would crash the worker.
      child.on('error', (error) => resolve({ error }));
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const stdout = child.stdout as Readable;
    const stderr = child.stderr as Readable;
    const streamsClosed = Promise.all([closed(stdout), closed(stderr)]);
    stdout.on('data', (chunk: Buffer) => this.log.write('stdout', chunk));
    stderr.on('data', (chunk: Buffer) => this.log.write('stderr', chunk));

    const { error } = await spawned;
    if (error !== undefined || child.pid === undefined) return { hasStarted: false, error };
    const group = new ProcessGroup(child.pid);
    this.group = group;

    const { signal } = this.options;
    const { timeoutMs } = this.limits;
    const onAbort = (): void => this.terminate('canceled', describeAbortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => this.terminate('timed_out', `timed out after ${timeoutMs} ms`), timeoutMs);
    try {
      this.options.onStart?.({ pid: child.pid });
      const exit = await exited;
      this.hasExited = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);

      await this.reapGroup(group);
      await this.drain(streamsClosed, [stdout, stderr]);
      this.log.end();
      const failure = this.log.callbackFailure;
      if (failure) throw failure.error;
      const termination = this.termination && { outcome: this.termination.outcome, reason: this.termination.reason };
      return { hasStarted: true, ...exit, termination };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (!this.hasExited) group.signal('SIGKILL');
    }
  }

  private terminate(outcome: Termination['outcome'], reason: string): void {
    const { group } = this;
    // Once the main process has exited the step's result is settled; a late cancel changes nothing.
    if (group === undefined || this.termination !== undefined || this.hasExited) return;
    this.log.system(`[switchboard] ${reason}; sending SIGTERM to the step's processes`);
    group.signal('SIGTERM');
    this.termination = { outcome, reason, escalation: this.escalate(group) };
  }

  private async escalate(group: ProcessGroup): Promise<void> {
    const { killGraceMs } = this.limits;
    if (await group.waitUntilGone(killGraceMs)) return;
    this.log.system(`[switchboard] processes still running ${killGraceMs} ms after SIGTERM; sending SIGKILL`);
    group.signal('SIGKILL');
  }

  /** After the step's main process exited: nothing it started may outlive it. */
  private async reapGroup(group: ProcessGroup): Promise<void> {
    if (this.termination !== undefined) {
      await this.termination.escalation;
    } else if (await group.hasLiveMembers()) {
      this.log.system('[switchboard] the step left background processes running; killing them');
      group.signal('SIGKILL');
    }
    if (!(await group.waitUntilGone(KILL_SETTLE_MS))) {
      this.log.system(`[switchboard] processes of group ${group.pgid} did not exit after SIGKILL`);
    }
  }

  private async drain(streamsClosed: Promise<unknown>, streams: Readable[]): Promise<void> {
    const timeout = new AbortController();
    const isDrained = await Promise.race([
      streamsClosed.then(() => true),
      delay(this.limits.drainTimeoutMs, false, { signal: timeout.signal }).catch(() => false),
    ]);
    timeout.abort();
    if (isDrained) return;
    this.log.system("[switchboard] a process outside the step's process group keeps its output open; no longer reading it");
    for (const stream of streams) stream.destroy();
  }
}

function resolveInterpreter(shell: string): Interpreter {
  if ((SHELL_STEP_INTERPRETERS as readonly string[]).includes(shell)) return interpreterFor(shell);
  const isPlainAbsolutePath =
    isAbsolute(shell) && normalize(shell) === shell && !shell.endsWith('/') && !/[\s\p{Cc}]/u.test(shell);
  if (!isPlainAbsolutePath) {
    throw new InvalidStepError(
      'shell',
      `unsupported interpreter "${shell}": use ${SHELL_STEP_INTERPRETERS.join(', ')} or an absolute path`,
    );
  }
  return interpreterFor(shell);
}

function interpreterFor(command: string): Interpreter {
  const name = basename(command);
  // Python buffers stdout when it is a pipe; unbuffered output is what makes the log live.
  if (/^python[0-9.]*$/.test(name)) return { command, args: ['-u'], extension: '.py' };
  // .cjs: a package.json with "type": "module" above the workspace must not change how scripts load.
  if (name === 'node') return { command, args: [], extension: '.cjs' };
  if (/^(pwsh|powershell)$/.test(name)) return { command, args: [], extension: '.ps1' };
  if (/^(ba|da|k|z)?sh$/.test(name)) return { command, args: [], extension: '.sh' };
  return { command, args: [], extension: '' };
}

function checkDuration(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidStepError(field, `${field} must be a non-negative number of milliseconds`);
  }
  return value;
}

function describeSpawnError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return 'not found';
    case 'EACCES':
      return 'permission denied';
    case 'E2BIG':
      return 'the environment is too large (parameters or outputs of previous steps)';
    default:
      return error instanceof Error ? error.message : 'unknown error';
  }
}

/** A failed result with nothing known yet; callers fill in what they learned. */
function emptyResult(startedAt: Date): StepResult {
  return { outcome: 'failed', exitCode: null, signal: null, outputs: {}, startedAt, finishedAt: new Date() };
}

function closed(stream: Readable): Promise<void> {
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

async function readStepOutputs(path: string, limits: StepOutputLimits): Promise<Record<string, string>> {
  let handle;
  try {
    // O_NONBLOCK: a step could have replaced its output file with a FIFO that nobody ever writes.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error: unknown) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    if (code === 'ELOOP') throw new StepOutputsError('the outputs file was replaced by a symbolic link');
    throw error;
  }
  try {
    const stats: Stats = await handle.stat();
    if (!stats.isFile()) throw new StepOutputsError('the outputs file is not a regular file');
    if (stats.size > limits.maxBytes) {
      throw new StepOutputsError(`outputs are ${stats.size} bytes, more than the limit of ${limits.maxBytes}`);
    }
    const content = await handle.readFile();
    return parseStepOutputs(content.toString('utf8'), limits);
  } finally {
    await handle.close();
  }
}
