import { spawn, type ChildProcess } from 'node:child_process';
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, isAbsolute, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { describeAbortReason } from './abort-reason';
import { ExecutionWorkspace } from './execution-workspace';
import { InvalidStepError } from './invalid-step.error';
import { OutputBudget } from './output-budget';
import { ProcessGroup } from './process-group';
import { buildStepEnvironment } from './step-environment';
import { StepLog } from './step-log';
import { DEFAULT_STEP_OUTPUT_LIMITS, parseStepOutputs, StepOutputsError, type StepOutputLimits } from './step-outputs';
import type { OnStepLine, StepOutcome, StepResult } from './step-result';

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
  const killGraceMs = checkDuration('killGraceMs', options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  const drainTimeoutMs = checkDuration('drainTimeoutMs', options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
  const timeoutMs = options.timeoutMs === undefined ? undefined : checkDuration('timeoutMs', options.timeoutMs);
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

  let group: ProcessGroup | undefined;
  const log = new StepLog({
    onLine: options.onLine,
    budget: options.outputBudget ?? new OutputBudget(),
    maxLineBytes: options.maxLineBytes,
    onCallbackError: () => group?.signal('SIGKILL'),
  });

  let child: ChildProcess;
  try {
    child = spawn(interpreter.command, [...interpreter.args, scriptFile], {
      cwd: workspace.workDir,
      env,
      // Own process group, so that one kill(-pgid) reaches everything the step started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error: unknown) {
    return failedToStart(interpreter, error, log, startedAt);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: Error }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error) => resolve({ error }));
  });
  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  const streamsClosed = Promise.all([closed(stdout), closed(stderr)]);
  stdout.on('data', (chunk: Buffer) => log.write('stdout', chunk));
  stderr.on('data', (chunk: Buffer) => log.write('stderr', chunk));

  if (child.pid === undefined) {
    const exit = await exited;
    return failedToStart(interpreter, 'error' in exit ? exit.error : undefined, log, startedAt);
  }
  const stepGroup = new ProcessGroup(child.pid);
  group = stepGroup;

  let termination: { outcome: 'canceled' | 'timed_out'; reason: string; escalation: Promise<void> } | undefined;
  let hasExited = false;
  const terminate = (outcome: 'canceled' | 'timed_out', reason: string): void => {
    if (termination !== undefined || hasExited) return;
    log.system(`[switchboard] ${reason}; sending SIGTERM to the step's processes`);
    stepGroup.signal('SIGTERM');
    termination = { outcome, reason, escalation: escalate(stepGroup, killGraceMs, log) };
  };
  const onAbort = (): void => terminate('canceled', describeAbortReason(options.signal as AbortSignal));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => terminate('timed_out', `timed out after ${timeoutMs} ms`), timeoutMs);

  try {
    try {
      options.onStart?.({ pid: child.pid });
    } catch (error: unknown) {
      stepGroup.signal('SIGKILL');
      throw error;
    }
    const exit = await exited;
    hasExited = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);

    await reapGroup(stepGroup, termination?.escalation, log);
    await drain(streamsClosed, [stdout, stderr], drainTimeoutMs, log);
    log.end();

    const failure = log.callbackFailure;
    if (failure) throw failure.error;

    let outputs: Record<string, string> = {};
    let outputsProblem: string | undefined;
    try {
      outputs = await readStepOutputs(outputFile, options.outputLimits ?? DEFAULT_STEP_OUTPUT_LIMITS);
    } catch (error: unknown) {
      if (!(error instanceof StepOutputsError)) throw error;
      outputsProblem = `invalid $SWITCHBOARD_OUTPUT: ${error.message}`;
      log.system(`[switchboard] ${outputsProblem}`);
    }

    const base = { ...emptyResult(startedAt), outputs, finishedAt: new Date() };
    if ('error' in exit) return { ...base, outcome: 'failed', reason: `step process failed: ${exit.error.message}` };
    const result = { ...base, exitCode: exit.code, signal: exit.signal };
    if (termination) return { ...result, outcome: termination.outcome, reason: termination.reason };
    if (exit.code === 0) {
      return outputsProblem === undefined
        ? { ...result, outcome: 'succeeded' }
        : { ...result, outcome: 'failed', reason: outputsProblem };
    }
    const reason = exit.code === null ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    return { ...result, outcome: 'failed', reason };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    if (!hasExited) stepGroup.signal('SIGKILL');
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

function emptyResult(startedAt: Date): StepResult {
  return { outcome: 'failed', exitCode: null, signal: null, outputs: {}, startedAt, finishedAt: new Date() };
}

function failedToStart(interpreter: Interpreter, error: unknown, log: StepLog, startedAt: Date): StepResult {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? 'not found'
      : code === 'EACCES'
        ? 'permission denied'
        : code === 'E2BIG'
          ? 'the environment is too large (parameters or outputs of previous steps)'
          : error instanceof Error
            ? error.message
            : 'unknown error';
  const reason = `could not start ${interpreter.command}: ${why}`;
  log.system(`[switchboard] ${reason}`);
  const outcome: StepOutcome = 'failed';
  return { ...emptyResult(startedAt), outcome, reason };
}

function closed(stream: Readable): Promise<void> {
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

async function escalate(group: ProcessGroup, graceMs: number, log: StepLog): Promise<void> {
  if (await group.waitUntilGone(graceMs)) return;
  log.system(`[switchboard] processes still running ${graceMs} ms after SIGTERM; sending SIGKILL`);
  group.signal('SIGKILL');
}

/** After the step's main process exited: nothing it started may outlive it. */
async function reapGroup(group: ProcessGroup, escalation: Promise<void> | undefined, log: StepLog): Promise<void> {
  if (escalation !== undefined) {
    await escalation;
  } else if (await group.hasLiveMembers()) {
    log.system('[switchboard] the step left background processes running; killing them');
    group.signal('SIGKILL');
  }
  if (!(await group.waitUntilGone(KILL_SETTLE_MS))) {
    log.system(`[switchboard] processes of group ${group.pgid} did not exit after SIGKILL`);
  }
}

async function drain(streamsClosed: Promise<unknown>, streams: Readable[], timeoutMs: number, log: StepLog): Promise<void> {
  const timeout = new AbortController();
  const isDrained = await Promise.race([
    streamsClosed.then(() => true),
    delay(timeoutMs, false, { signal: timeout.signal }).catch(() => false),
  ]);
  timeout.abort();
  if (isDrained) return;
  log.system("[switchboard] a process outside the step's process group keeps its output open; no longer reading it");
  for (const stream of streams) stream.destroy();
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
