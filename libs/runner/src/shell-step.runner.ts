import { basename, isAbsolute, normalize } from 'node:path';
import { describeAbortReason } from './abort-reason';
import type { ExecutionWorkspace } from './execution-workspace';
import { InvalidStepError } from './invalid-step.error';
import { OutputBudget } from './output-budget';
import { ProcessGroup } from './process-group';
import { buildStepEnvironment } from './step-environment';
import { StepLog } from './step-log';
import { isWorkspaceFailure, type OutputsFileRead, type StepExit, type StepProcessHandle, type StepSpawnRequest } from './step-host';
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
  /**
   * The run's last step: its host may remove the workspace as soon as the process has exited
   * and nothing of its group is left (the step launcher does, without a request more).
   */
  isLastStep?: boolean;
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
  // Made by the workspace's host together with the process: one request when that is the step launcher.
  const { outputFile, scriptFile, tree, files } = workspace.stepFiles(options.stepName, options.run, interpreter.extension);
  const outputLimits = options.outputLimits ?? DEFAULT_STEP_OUTPUT_LIMITS;
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

  const stepProcess = new StepProcess(options, limits);
  const end = await stepProcess.run({
    command: interpreter.command, args: [...interpreter.args, scriptFile], cwd: workspace.workDir, env, tree, files,
    outputsFile: { path: outputFile, maxBytes: outputLimits.maxBytes },
    removeAfterExit: options.isLastStep ? workspace.layout : undefined,
    warm: options.shell === 'bash',
  });
  if (end.hasStarted && end.removesWorkspace) workspace.markGone();
  if (!end.hasStarted) {
    let reason = `could not start ${interpreter.command}: ${describeSpawnError(end.error)}`;
    if (tree && isWorkspaceFailure(end.error)) {
      // EEXIST: the directory was there before (made by someone else), so nothing in it is this
      // run's to remove. Otherwise the host made nothing of it: a later step tries again.
      if ((end.error as NodeJS.ErrnoException).code === 'EEXIST') workspace.markGone();
      else workspace.madeNothing(tree);
      reason = `could not make the workspace: ${end.error instanceof Error ? end.error.message : String(end.error)}`;
    }
    stepProcess.log.system(`[switchboard] ${reason}`);
    return { ...emptyResult(startedAt), reason };
  }

  let outputs: Record<string, string> = {};
  let outputsProblem: string | undefined;
  try {
    outputs = parseOutputsRead(end.outputs ?? (await workspace.host.readOutputs(outputFile, outputLimits.maxBytes)), outputLimits);
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
  | ({ hasStarted: true; termination?: Termination } & StepExit);

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

  async run(request: StepSpawnRequest): Promise<ProcessEnd> {
    const child = this.options.workspace.host.spawn(request, (stream, chunk) => this.log.write(stream, chunk));
    const started = await child.started;
    if ('error' in started) return { hasStarted: false, error: started.error };
    const group = new ProcessGroup(started.pid);
    this.group = group;
    // Output can arrive with the news of the start (one message from the launcher): onLine may have failed already.
    if (this.log.callbackFailure) group.signal('SIGKILL');

    const { signal } = this.options;
    const { timeoutMs } = this.limits;
    const onAbort = (): void => this.terminate('canceled', describeAbortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    // A cancel that came while the process was being started has not been heard yet.
    if (signal?.aborted) onAbort();
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => this.terminate('timed_out', `timed out after ${timeoutMs} ms`), timeoutMs);
    try {
      this.options.onStart?.({ pid: started.pid });
      const exit = await child.exited;
      this.hasExited = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);

      await this.reapGroup(group, exit.groupGone === true);
      await this.drain(child);
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

  /**
   * After the step's main process exited: nothing it started may outlive it. `isKnownGone`: the
   * host saw the group empty after reaping the main process (the usual case, and then the look
   * here, a kill() that throws ESRCH, is saved). A group with no process left cannot gain one.
   */
  private async reapGroup(group: ProcessGroup, isKnownGone: boolean): Promise<void> {
    if (this.termination !== undefined) {
      await this.termination.escalation;
    } else if (isKnownGone) {
      return;
    } else if (await group.hasLiveMembers()) {
      this.log.system('[switchboard] the step left background processes running; killing them');
      group.signal('SIGKILL');
    } else {
      return; // the usual case: nothing is left, no need to look twice
    }
    if (!(await group.waitUntilGone(KILL_SETTLE_MS))) {
      this.log.system(`[switchboard] processes of group ${group.pgid} did not exit after SIGKILL`);
    }
  }

  private async drain(child: StepProcessHandle): Promise<void> {
    // A plain timer: aborting a timers/promises delay throws an AbortError, about 0.2 ms per step.
    let timer: NodeJS.Timeout | undefined;
    const isDrained = await Promise.race([
      child.outputClosed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.limits.drainTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (isDrained) return;
    this.log.system("[switchboard] a process outside the step's process group keeps its output open; no longer reading it");
    child.stopReading();
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

/** The outputs file as read at the step's exit (by the launcher) or afterwards. */
function parseOutputsRead(read: OutputsFileRead, limits: StepOutputLimits): Record<string, string> {
  if (read.kind === 'missing') return {};
  if (read.kind === 'refused') throw new StepOutputsError(read.reason);
  return parseStepOutputs(read.text, limits);
}
