import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { localStepHost } from './local-step-host';
import { DEFAULT_STEP_PATH } from './step-environment';
import { PYTHON_LAUNCHER_PROGRAM } from './step-launcher-python';
import type {
  OutputsFileRead, StepExit, StepFile, StepHost, StepOutputStream, StepProcessHandle, StepSpawnRequest, StepTree, StepTreeLayout,
} from './step-host';

/** File system work the launcher does for the worker, one request each. */
type FileRequest =
  | ({ op: 'create-tree' } & StepTree)
  | { op: 'read-outputs'; path: string; maxBytes: number }
  | ({ op: 'remove-tree' } & StepTreeLayout);

/** Worker → launcher. */
type LauncherRequest =
  | ({ type: 'spawn'; id: number } & StepSpawnRequest)
  | { type: 'stop-reading'; id: number }
  | { type: 'files'; id: number; request: FileRequest };

/** Launcher → worker, in the order things happened. */
type LauncherEvent =
  | { type: 'ready' }
  | { type: 'started'; id: number; pid: number }
  | { type: 'failed'; id: number; code: string | null | undefined; message: string; workspace?: boolean }
  | { type: 'output'; id: number; stream: StepOutputStream; chunk: Uint8Array }
  | ({ type: 'exited'; id: number; outputClosed: boolean } & StepExit)
  | { type: 'output-closed'; id: number }
  | { type: 'files-done'; id: number; result?: OutputsFileRead; error?: { code: string | null | undefined; message: string } };

/**
 * The launcher's whole program. It runs in a fresh `node -e`, so it imports nothing and uses
 * nothing from this module: its source text is all that reaches the launcher process. It makes
 * the files it is asked to and starts processes, with synchronous calls (blocking this small
 * process, never the worker), and relays what happens to them; supervision stays in the worker.
 */
function launcherProgram(): void {
  const { spawn: spawnChild } = process.getBuiltinModule('node:child_process');
  const fs = process.getBuiltinModule('node:fs');
  const { join } = process.getBuiltinModule('node:path');
  // Output is relayed as it comes; past this many unsent messages the launcher stops reading
  // the steps' pipes, so a fast writer is slowed down instead of filling the launcher's memory.
  const PAUSE_ABOVE = 64;
  const RESUME_BELOW = 16;
  const reading = new Map<number, Readable[]>();
  const paused = new Set<Readable>();
  let unsent = 0;

  const sent = (): void => {
    unsent -= 1;
    if (unsent > RESUME_BELOW || paused.size === 0) return;
    for (const stream of paused) stream.resume();
    paused.clear();
  };
  const send = (event: LauncherEvent): void => {
    if (!process.connected) return;
    unsent += 1;
    process.send?.(event, undefined, undefined, sent);
  };
  const failure = (error: unknown): { code: string | undefined; message: string } => ({
    code: (error as NodeJS.ErrnoException | undefined)?.code,
    message: error instanceof Error ? error.message : String(error),
  });

  // "wx": never write through something a step may have placed at that path.
  const writeFiles = (files: StepFile[]): void => {
    for (const file of files) fs.writeFileSync(file.path, file.content, { mode: 0o600, flag: 'wx' });
  };
  const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === 'ENOENT';
  const makeWritable = (dir: string): void => {
    fs.chmodSync(dir, 0o700);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) makeWritable(join(dir, entry.name));
  };
  // All or nothing: what was made is removed again if a later part fails (a full disk), so the
  // next step can make the workspace afresh. A directory that was there before is never touched.
  const createTree = (tree: StepTree): void => {
    fs.mkdirSync(tree.dir, { mode: 0o700 });
    try {
      for (const sub of tree.subdirs) fs.mkdirSync(sub, { mode: 0o700 });
      writeFiles(tree.files);
    } catch (error: unknown) {
      fs.rmSync(tree.dir, { recursive: true, force: true });
      throw error;
    }
  };
  const removeTree = (request: StepTreeLayout): void => {
    try {
      // What the runner made, one call each; anything a step left makes a call fail: then recursively.
      for (const file of request.files) {
        try {
          fs.unlinkSync(file);
        } catch (error: unknown) {
          if (!isMissing(error)) throw error;
        }
      }
      for (const dir of [...request.subdirs, request.dir]) {
        try {
          fs.rmdirSync(dir);
        } catch (error: unknown) {
          if (!isMissing(error)) throw error;
        }
      }
    } catch {
      try {
        fs.rmSync(request.dir, { recursive: true, force: true });
      } catch (error: unknown) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EPERM') throw error;
        // A step may have left a directory without write permission; take ownership back and retry.
        makeWritable(request.dir);
        fs.rmSync(request.dir, { recursive: true, force: true });
      }
    }
  };
  const readOutputs = (path: string, maxBytes: number): OutputsFileRead => {
    let fd: number;
    try {
      // O_NONBLOCK: a step could have replaced its output file with a FIFO that nobody ever writes.
      fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (error: unknown) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'missing' };
      if (code === 'ELOOP') return { kind: 'refused', reason: 'the outputs file was replaced by a symbolic link' };
      throw error;
    }
    try {
      const stats = fs.fstatSync(fd);
      if (!stats.isFile()) return { kind: 'refused', reason: 'the outputs file is not a regular file' };
      if (stats.size > maxBytes) return { kind: 'refused', reason: `outputs are ${stats.size} bytes, more than the limit of ${maxBytes}` };
      return { kind: 'content', text: stats.size === 0 ? '' : fs.readFileSync(fd, 'utf8') };
    } finally {
      fs.closeSync(fd);
    }
  };
  const groupIsGone = (pgid: number): boolean => {
    try {
      process.kill(-pgid, 0);
      return false;
    } catch (error: unknown) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  };
  const doFiles = (id: number, request: FileRequest): void => {
    try {
      let result: OutputsFileRead | undefined;
      if (request.op === 'create-tree') {
        createTree(request);
      } else if (request.op === 'read-outputs') {
        result = readOutputs(request.path, request.maxBytes);
      } else {
        removeTree(request);
      }
      send({ type: 'files-done', id, result });
    } catch (error: unknown) {
      send({ type: 'files-done', id, error: failure(error) });
    }
  };

  const start = (request: Extract<LauncherRequest, { type: 'spawn' }>): void => {
    const { id } = request;
    const fail = (error: unknown, workspace?: boolean): void => {
      reading.delete(id);
      send({ type: 'failed', id, ...failure(error), workspace });
    };
    let child: ChildProcess;
    try {
      if (request.tree) createTree(request.tree);
    } catch (error: unknown) {
      fail(error, true);
      return;
    }
    try {
      writeFiles(request.files ?? []);
      // detached: the step becomes its own process group, so one kill(-pgid) reaches all it started.
      child = spawnChild(request.command, request.args, { cwd: request.cwd, env: request.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error: unknown) {
      fail(error);
      return;
    }
    let hasStarted = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let openStreams = 2;
    const streams = [child.stdout as Readable, child.stderr as Readable];
    reading.set(id, streams);
    const forget = (): void => {
      reading.delete(id);
      for (const stream of streams) paused.delete(stream);
    };
    child.once('spawn', () => {
      hasStarted = true;
      send({ type: 'started', id, pid: child.pid as number });
    });
    child.on('error', (error) => {
      if (!hasStarted) fail(error);
    });
    for (const [index, stream] of streams.entries()) {
      const name: StepOutputStream = index === 0 ? 'stdout' : 'stderr';
      stream.on('data', (chunk: Buffer) => {
        send({ type: 'output', id, stream: name, chunk });
        if (unsent > PAUSE_ABOVE) {
          stream.pause();
          paused.add(stream);
        }
      });
      stream.once('close', () => {
        openStreams -= 1;
        if (openStreams > 0 || !hasStarted || exit === undefined) return; // else reported together with the exit
        forget();
        send({ type: 'output-closed', id });
      });
    }
    child.once('exit', (code, signal) => {
      // The pipes usually reach EOF in the same turn: one message then says both.
      setImmediate(() => {
        exit = { code, signal };
        const outputClosed = openStreams === 0;
        if (outputClosed) forget();
        // Nothing of the step left running (the usual case): its outputs file can no longer
        // change, so it is read now and goes with the exit, and the last step's workspace is
        // removed right after. Otherwise the worker ends the group first and asks for both.
        const isGone = groupIsGone(child.pid as number);
        let outputs: OutputsFileRead | undefined;
        if (isGone && request.outputsFile) {
          try {
            outputs = readOutputs(request.outputsFile.path, request.outputsFile.maxBytes);
          } catch {
            // left to the worker's own request, which reports why
          }
        }
        const removesWorkspace = isGone && outputs !== undefined && request.removeAfterExit !== undefined;
        send({ type: 'exited', id, code, signal, outputClosed, outputs, removesWorkspace, groupGone: isGone });
        if (removesWorkspace) {
          try {
            removeTree(request.removeAfterExit as StepTreeLayout);
          } catch {
            // a temp directory left behind; nothing waits for it
          }
        }
      });
    });
  };

  process.on('message', (request: LauncherRequest) => {
    if (request.type === 'spawn') start(request);
    else if (request.type === 'files') doFiles(request.id, request.request);
    else for (const stream of reading.get(request.id) ?? []) stream.destroy();
  });
  // Only the worker decides when steps end; the launcher goes when the worker does.
  process.on('disconnect', () => process.exit(0));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);
  send({ type: 'ready' });
}

interface Pending<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function pending<T>(): Pending<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A step started through the launcher: its handle, settled by the launcher's messages. */
class LaunchedStep {
  readonly started = pending<{ pid: number } | { error: unknown }>();
  readonly exited = pending<StepExit>();
  readonly outputClosed = pending<void>();
  pid: number | undefined;

  constructor(readonly onOutput: (stream: StepOutputStream, chunk: Buffer) => void) {}
}

/** Where the launcher's own troubles are told (a pino logger fits). */
export interface LauncherLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface StepLauncherOptions {
  program?: StepLauncherProgram;
  /**
   * The interpreter for the python launcher, or several to try in turn (undefined: none). By
   * default the platform's `/usr/bin/python3`, then the first python3 on PATH (pythonCandidates).
   */
  python?: string | readonly string[];
  logger?: LauncherLogger;
  /**
   * Bash shells the python launcher keeps ready ahead of the steps that will use them (default
   * 0, none): a bash step then skips bash's own start. The node launcher has none.
   */
  warmShells?: number;
  /**
   * How the python launcher makes its warm shells: forked by one bash it keeps (default, where
   * Python has ctypes; docs/procedures.md, "Warm shells"), or each one started afresh.
   */
  warmShellsBy?: WarmShellsBy;
}

/** `fork`: warm shells forked by a shell server where possible; `start`: each started anew. */
export type WarmShellsBy = 'fork' | 'start';

/** A program that dies this many times after it was ready is given up for the next one. */
const MAX_DEATHS = 3;

/** How long a launcher may take to say it is ready before the next program is tried. */
const READY_TIMEOUT_MS = 10_000;

/** Which program starts the steps: `auto` tries python3, then node (see StepLauncher). */
export type StepLauncherProgram = 'auto' | 'python3' | 'node';

/** One launcher StepLauncher may start: the python program with one interpreter (none found: undefined), or the node one. */
type LauncherChoice = { program: 'python3'; python: string | undefined } | { program: 'node' };

/** A choice as the launcher's log lines name it. */
function describeChoice(choice: LauncherChoice): { launcher: string; python?: string } {
  return choice.program === 'python3' && choice.python ? { launcher: choice.program, python: choice.python } : { launcher: choice.program };
}

/** A running launcher, whichever program it is, as StepLauncher talks to it. */
interface LauncherConnection {
  readonly child: ChildProcess;
  /** False once requests can no longer reach the launcher (it is gone or being closed). */
  readonly isOpen: boolean;
  send(request: LauncherRequest): void;
  /** Whether the launcher keeps this process's event loop alive. */
  hold(active: boolean): void;
  /** Asks the launcher to go (it exits when its channel closes); its steps are not touched. */
  close(): void;
}

/** The node launcher: Node's IPC channel with the v8 serializer (output chunks stay binary). */
function startNodeLauncher(onEvent: (event: LauncherEvent) => void): LauncherConnection {
  const child = spawn(process.execPath, ['-e', `(${launcherProgram.toString()})()`], {
    // Nothing of the worker's environment (database and queue credentials) is needed there.
    cwd: '/', env: {}, stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced',
  });
  child.on('message', onEvent);
  return {
    child,
    get isOpen() {
      return child.connected;
    },
    send: (request) => void child.send(request, undefined, undefined, () => undefined),
    hold: (active) => {
      if (active) {
        child.ref();
        child.channel?.ref();
      } else {
        child.unref();
        child.channel?.unref();
      }
    },
    close: () => child.disconnect(),
  };
}

/**
 * The python launcher (PYTHON_LAUNCHER_PROGRAM): requests as JSON lines on its stdin, events as
 * JSON lines on its stdout, an `output` line followed by its `n` raw bytes.
 */
function startPythonLauncher(python: string, warm: { shells: number; by: WarmShellsBy }, onEvent: (event: LauncherEvent) => void): LauncherConnection {
  // -I: no PYTHON* variables, user site or script directory; -S: no site module (faster start).
  // Then how many warm shells to keep, the PATH to find their bash in before the first step, and how to make them.
  const child = spawn(python, ['-I', '-S', '-c', PYTHON_LAUNCHER_PROGRAM, String(warm.shells), DEFAULT_STEP_PATH, warm.by], { cwd: '/', env: {}, stdio: ['pipe', 'pipe', 'inherit'] });
  const stdin = child.stdin as Writable & { ref?: () => void; unref?: () => void };
  const stdout = child.stdout as Readable & { ref?: () => void; unref?: () => void };
  stdin.on('error', () => undefined); // a launcher that is gone is noticed by its 'exit'
  const frames = new LauncherFrames(onEvent, () => {
    // Not our framing: nothing more it says can be trusted. Its end settles its steps.
    stdout.destroy();
    child.kill('SIGKILL');
  });
  stdout.on('data', (chunk: Buffer) => frames.push(chunk));
  return {
    child,
    get isOpen() {
      return stdin.writable && !stdin.destroyed;
    },
    send: (request) => void stdin.write(`${JSON.stringify(request)}\n`),
    hold: (active) => {
      for (const handle of [child, stdin, stdout]) {
        if (active) handle.ref?.();
        else handle.unref?.();
      }
    },
    close: () => stdin.end(),
  };
}

/** Cuts the python launcher's stdout into events: a JSON line each, an `output` line followed by its bytes. */
export class LauncherFrames {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes at the start of the buffer known to hold no newline: a long line is not searched again and again. */
  private scanned = 0;
  /** The `output` event whose bytes are still arriving. */
  private awaiting: { event: Record<string, unknown>; length: number } | undefined;
  private isCorrupt = false;

  /** `onCorrupt`: a line that is not an event; nothing after it is read. */
  constructor(private readonly onEvent: (event: LauncherEvent) => void, private readonly onCorrupt: () => void = () => undefined) {}

  push(chunk: Buffer): void {
    if (this.isCorrupt) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.awaiting) {
        if (this.buffer.length < this.awaiting.length) return;
        const { event, length } = this.awaiting;
        this.awaiting = undefined;
        const data = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        this.onEvent({ ...event, chunk: data } as unknown as LauncherEvent);
        continue;
      }
      const end = this.buffer.indexOf(10, this.scanned);
      if (end < 0) {
        this.scanned = this.buffer.length;
        return;
      }
      const event = this.parse(this.buffer.toString('utf8', 0, end));
      this.buffer = this.buffer.subarray(end + 1);
      this.scanned = 0;
      if (!event) {
        this.isCorrupt = true;
        this.onCorrupt();
        return;
      }
      if (event.type === 'output') {
        const { n, ...rest } = event;
        this.awaiting = { event: rest, length: n ?? 0 };
      } else {
        this.onEvent(event as LauncherEvent);
      }
    }
  }

  private parse(line: string): (Record<string, unknown> & { type: string; n?: number }) | undefined {
    try {
      const event = JSON.parse(line) as unknown;
      const looksRight = typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string';
      return looksRight ? (event as Record<string, unknown> & { type: string; n?: number }) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Whether this process may execute the file at this path. */
function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The platform's interpreter, as Debian, Ubuntu, Fedora, RHEL and Alpine install it. */
const PLATFORM_PYTHON = '/usr/bin/python3';

/**
 * The interpreters worth trying for the python launcher, best first: the platform's
 * `/usr/bin/python3`, then the first `python3` on this process's PATH when it is another file.
 *
 * The platform's comes first, as in Ansible's interpreter discovery. The launcher runs with `-I -S`
 * and needs only the standard library, so any Python 3.9 or later serves, and distributions build
 * theirs with profile-guided and link-time optimization. A PATH can put a version manager's build
 * first: on the benchmark machine pyenv's default build of 3.11.7 (no PGO, libpython shared) cost
 * the launcher 0.11–0.19 ms more CPU per step than Debian's 3.11.2 (bench/README.md, "Sixteenth
 * session"). An interpreter that cannot run the launcher (too old) is given up for the next one.
 */
export function pythonCandidates(path = process.env.PATH ?? '/usr/bin:/bin'): string[] {
  const candidates: string[] = [];
  const seen = new Set<string>();
  const add = (candidate: string): void => {
    if (!isExecutable(candidate)) return;
    let file = candidate;
    try {
      file = realpathSync(candidate);
    } catch {
      // a dangling link was not executable either
    }
    if (seen.has(file)) return;
    seen.add(file);
    candidates.push(candidate);
  };
  add(PLATFORM_PYTHON);
  const onPath = path.split(':').filter((dir) => dir.startsWith('/')).map((dir) => join(dir, 'python3')).find(isExecutable);
  if (onPath) add(onPath);
  return candidates;
}

/**
 * Makes steps' files and starts their processes from a small, long-lived child process of the
 * worker instead of from the worker itself:
 * - spawn() forks the calling process, and forking the worker (~150 MB resident) costs several
 *   times what forking a bare node process costs, in CPU and in time to start (bench/spawn-cost.ts);
 * - a workspace, a step's script and outputs file are a dozen small file system calls, each a
 *   round trip through the worker's thread pool; the launcher makes them synchronously.
 * Every message between two processes wakes the receiver, which on a VM costs more than the work
 * it carries, so a step is one request (workspace, files and process together) and two answers
 * (started; exited, with the outputs file read and, after the last step, the workspace removed).
 * The steps are still process group leaders; the worker signals their groups itself and reads
 * their output as before.
 *
 * The launcher is a Python program where python3 can be found (`auto`), because Python starts a
 * process with posix_spawn (vfork) where Node forks: 0.13 instead of 0.7 ms per step. Each
 * interpreter of pythonCandidates is tried in turn; when none starts, it is the same program in
 * node. Without any launcher (none could be started, or it is closed) the worker does all this
 * itself.
 */
export class StepLauncher implements StepHost {
  private launcher: Promise<LauncherConnection | undefined> | undefined;
  private readonly steps = new Map<number, LaunchedStep>();
  private readonly fileRequests = new Map<number, { resolve: (result: OutputsFileRead | undefined) => void; reject: (error: Error) => void }>();
  private nextId = 0;
  private isClosing = false;
  /** The programs still worth trying, best first; one that failed to start is dropped for good. */
  private readonly programs: LauncherChoice[];
  private readonly logger: LauncherLogger | undefined;
  private readonly warm: { shells: number; by: WarmShellsBy };
  /** Deaths of the running program after it was ready; past MAX_DEATHS the next program takes over. */
  private deaths = 0;

  constructor(options: StepLauncherOptions = {}) {
    const program = options.program ?? 'auto';
    const pythons = 'python' in options ? [options.python ?? []].flat() : pythonCandidates();
    // No interpreter found: the python3 launcher is still tried, and reported, as one that cannot start.
    const choices: LauncherChoice[] = [...(pythons.length > 0 ? pythons : [undefined]).map((python) => ({ program: 'python3' as const, python })), { program: 'node' }];
    this.programs = program === 'auto' ? choices : choices.filter((choice) => choice.program === program);
    this.logger = options.logger;
    this.warm = { shells: options.warmShells ?? 0, by: options.warmShellsBy ?? 'fork' };
  }

  /** Which program runs the launcher now: undefined until it is ready, or when the worker does the work itself. */
  async program(): Promise<'python3' | 'node' | undefined> {
    const launcher = await this.ready();
    return launcher ? this.programs[0].program : undefined;
  }

  async createTree(tree: StepTree): Promise<void> {
    await this.files({ op: 'create-tree', ...tree }, () => localStepHost.createTree(tree));
  }

  async readOutputs(path: string, maxBytes: number): Promise<OutputsFileRead> {
    return (await this.files({ op: 'read-outputs', path, maxBytes }, () => localStepHost.readOutputs(path, maxBytes))) as OutputsFileRead;
  }

  async removeTree(layout: StepTreeLayout): Promise<void> {
    await this.files({ op: 'remove-tree', ...layout }, () => localStepHost.removeTree(layout));
  }

  spawn(request: StepSpawnRequest, onOutput: (stream: StepOutputStream, chunk: Buffer) => void): StepProcessHandle {
    const handle = this.ready().then((launcher) => (launcher ? this.spawnThrough(launcher, request, onOutput) : localStepHost.spawn(request, onOutput)));
    return {
      started: handle.then((h) => h.started),
      exited: handle.then((h) => h.exited),
      outputClosed: handle.then((h) => h.outputClosed),
      stopReading: () => void handle.then((h) => h.stopReading()),
    };
  }

  /** Starts the launcher now rather than with the first step. */
  start(): void {
    void this.ready();
  }

  /** Ends the launcher; steps still running are not touched (their groups are the caller's to end). */
  async close(): Promise<void> {
    this.isClosing = true;
    const launcher = await this.launcher;
    if (!launcher || launcher.child.exitCode !== null || launcher.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => launcher.child.once('exit', () => resolve()));
    if (launcher.isOpen) launcher.close();
    const timer = setTimeout(() => launcher.child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  private spawnThrough(launcher: LauncherConnection, request: StepSpawnRequest, onOutput: (stream: StepOutputStream, chunk: Buffer) => void): StepProcessHandle {
    const id = this.newId();
    const step = new LaunchedStep(onOutput);
    this.steps.set(id, step);
    this.keepAlive(launcher);
    this.send(launcher, { type: 'spawn', id, ...request });
    return {
      started: step.started.promise,
      exited: step.exited.promise,
      outputClosed: step.outputClosed.promise,
      stopReading: () => {
        this.send(launcher, { type: 'stop-reading', id });
        this.settle(launcher, id, step);
      },
    };
  }

  private async files(request: FileRequest, locally: () => Promise<OutputsFileRead | void>): Promise<OutputsFileRead | void> {
    const launcher = await this.ready();
    if (!launcher) return locally();
    const id = this.newId();
    const done = new Promise<OutputsFileRead | undefined>((resolve, reject) => this.fileRequests.set(id, { resolve, reject }));
    this.keepAlive(launcher);
    this.send(launcher, { type: 'files', id, request });
    return done;
  }

  private newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  /** The running launcher, started if need be; undefined when this process is to do the work itself. */
  private ready(): Promise<LauncherConnection | undefined> {
    if (this.isClosing) return Promise.resolve(undefined);
    this.launcher ??= this.startFirstAvailable();
    return this.launcher;
  }

  private async startFirstAvailable(): Promise<LauncherConnection | undefined> {
    while (this.programs.length > 0) {
      const choice = this.programs[0];
      const launcher = await this.startProgram(choice);
      if (launcher) {
        this.logger?.info({ ...describeChoice(choice), pid: launcher.child.pid }, 'step launcher started');
        return launcher;
      }
      this.programs.shift();
      this.deaths = 0;
      this.logger?.warn({ ...describeChoice(choice), next: this.programs[0]?.program ?? 'the worker itself' }, 'step launcher could not start');
    }
    return undefined;
  }

  /** Starts one launcher program; undefined if it cannot be started or exits before it is ready. */
  private startProgram(choice: LauncherChoice): Promise<LauncherConnection | undefined> {
    return new Promise((resolve) => {
      let isReady = false;
      const onEvent = (event: LauncherEvent): void => {
        if (event.type !== 'ready') {
          this.onEvent(launcher, event);
        } else {
          isReady = true;
          clearTimeout(patience);
          this.keepAlive(launcher);
          resolve(launcher);
        }
      };
      let launcher: LauncherConnection;
      try {
        if (choice.program === 'node') {
          launcher = startNodeLauncher(onEvent);
        } else if (choice.python) {
          launcher = startPythonLauncher(choice.python, this.warm, onEvent);
        } else {
          resolve(undefined);
          return;
        }
      } catch {
        resolve(undefined);
        return;
      }
      // One that hangs before it is ready (a broken interpreter) is given up: the next is tried.
      const { child } = launcher;
      const patience = setTimeout(() => child.kill('SIGKILL'), READY_TIMEOUT_MS);
      // A program that cannot be started (not found) reports an 'error' and may never 'exit'.
      child.on('error', () => {
        clearTimeout(patience);
        if (!isReady) resolve(undefined);
      });
      // Python: 'close', once its stdout is read to the end, so no event it wrote is lost.
      child.once(choice.program === 'python3' ? 'close' : 'exit', (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(patience);
        if (!isReady) resolve(undefined);
        else this.onLauncherExit(launcher, choice, code, signal);
      });
    });
  }

  private send(launcher: LauncherConnection, request: LauncherRequest): void {
    // A launcher that is gone settles what it was asked in onLauncherExit.
    if (launcher.isOpen) launcher.send(request);
  }

  private onEvent(launcher: LauncherConnection, event: Exclude<LauncherEvent, { type: 'ready' }>): void {
    if (event.type === 'files-done') {
      const request = this.fileRequests.get(event.id);
      if (!request) return;
      this.fileRequests.delete(event.id);
      this.keepAlive(launcher);
      if (event.error) request.reject(Object.assign(new Error(event.error.message), { code: event.error.code ?? undefined }));
      else request.resolve(event.result);
      return;
    }
    const step = this.steps.get(event.id);
    if (!step) return;
    switch (event.type) {
      case 'started':
        step.pid = event.pid;
        step.started.resolve({ pid: event.pid });
        break;
      case 'failed':
        this.settle(launcher, event.id, step);
        step.started.resolve({ error: Object.assign(new Error(event.message), { code: event.code ?? undefined, workspace: event.workspace }) });
        break;
      case 'output':
        step.onOutput(event.stream, Buffer.isBuffer(event.chunk) ? event.chunk : Buffer.from(event.chunk.buffer, event.chunk.byteOffset, event.chunk.byteLength));
        break;
      case 'exited':
        step.exited.resolve({ code: event.code, signal: event.signal, outputs: event.outputs, removesWorkspace: event.removesWorkspace, groupGone: event.groupGone === true });
        if (event.outputClosed) this.settle(launcher, event.id, step);
        break;
      case 'output-closed':
        this.settle(launcher, event.id, step);
        break;
    }
  }

  /** Nothing more will be heard of this step. */
  private settle(launcher: LauncherConnection, id: number, step: LaunchedStep): void {
    step.outputClosed.resolve();
    this.steps.delete(id);
    this.keepAlive(launcher);
  }

  /**
   * The launcher died (killed, out of memory): its steps can no longer be followed, so their
   * groups are killed and they end as killed by SIGKILL. The next request starts a new launcher.
   */
  private onLauncherExit(launcher: LauncherConnection, choice: LauncherChoice, code: number | null, signal: NodeJS.Signals | null): void {
    this.launcher = undefined;
    if (!this.isClosing) {
      this.logger?.warn({ ...describeChoice(choice), code, signal, steps: this.steps.size }, 'step launcher died; the steps it ran are killed');
      this.deaths += 1;
      if (this.deaths >= MAX_DEATHS && this.programs.length > 1) {
        this.programs.shift();
        this.deaths = 0;
      }
    }
    for (const [id, step] of this.steps) {
      if (step.pid === undefined) {
        step.started.resolve({ error: new Error('the step launcher exited before the step started') });
      } else {
        try {
          process.kill(-step.pid, 'SIGKILL');
        } catch {
          // the group is already gone
        }
        step.exited.resolve({ code: null, signal: 'SIGKILL' });
      }
      this.settle(launcher, id, step);
    }
    for (const request of this.fileRequests.values()) request.reject(new Error('the step launcher exited'));
    this.fileRequests.clear();
  }

  /** The launcher keeps this process's event loop alive only while it has something to do. */
  private keepAlive(launcher: LauncherConnection): void {
    launcher.hold(this.steps.size > 0 || this.fileRequests.size > 0);
  }
}
