export type StepOutputStream = 'stdout' | 'stderr';

/** A file the runner makes for a step (parameters, script, outputs file): new (never through an existing path), mode 0600. */
export interface StepFile {
  path: string;
  content: string;
}

/** What a step's process is started with. `files` are made first; if one cannot be, the process is not started. */
export interface StepSpawnRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  files?: StepFile[];
}

/**
 * A step's main process as the runner supervises it, wherever it was started. The process leads
 * its own process group; signals go to the group directly (ProcessGroup), never through this handle.
 */
export interface StepProcessHandle {
  /** The pid once the process runs (it is also the process group id), or why it could not start. */
  readonly started: Promise<{ pid: number } | { error: unknown }>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout and stderr are closed: every chunk was delivered by then. */
  readonly outputClosed: Promise<void>;
  /** Stops reading output that a process outside the group keeps open. */
  stopReading(): void;
}

/** What reading a step's outputs file found. */
export type OutputsFileRead =
  | { kind: 'missing' }
  | { kind: 'content'; text: string }
  | { kind: 'refused'; reason: string };

/**
 * The process that makes a step's files and starts its processes: the worker itself
 * (localStepHost), or the step launcher on its behalf (StepLauncher). Paths are chosen by the
 * caller (ExecutionWorkspace); the host only makes, reads and removes them.
 */
export interface StepHost {
  /** Makes a directory that must not exist yet (mode 0700), its subdirectories (0700) and files. */
  createTree(tree: { dir: string; subdirs: string[]; files: StepFile[] }): Promise<void>;
  writeFiles(files: StepFile[]): Promise<void>;
  /**
   * Reads an outputs file without following a symbolic link and without blocking on a FIFO a
   * step may have put there; refuses anything but a regular file of at most `maxBytes`.
   */
  readOutputs(path: string, maxBytes: number): Promise<OutputsFileRead>;
  /** Removes a directory and everything in it, also what a step made read-only; `files` are those the runner made. */
  removeTree(dir: string, layout: { subdirs: string[]; files: string[] }): Promise<void>;
  spawn(request: StepSpawnRequest, onOutput: (stream: StepOutputStream, chunk: Buffer) => void): StepProcessHandle;
}
