export type StepOutputStream = 'stdout' | 'stderr';

/** A file the runner makes for a step (parameters, script, outputs file): new (never through an existing path), mode 0600. */
export interface StepFile {
  path: string;
  content: string;
}

/** A workspace's directory (which must not exist yet), its subdirectories and first files. */
export interface StepTree {
  dir: string;
  subdirs: string[];
  files: StepFile[];
}

/** Everything the runner made in a workspace, for removing it. */
export interface StepTreeLayout {
  dir: string;
  subdirs: string[];
  files: string[];
}

/**
 * What a step's process is started with. The `tree` (the first step of a run) and then `files`
 * are made first; if one cannot be, the process is not started.
 */
export interface StepSpawnRequest {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  tree?: StepTree;
  files?: StepFile[];
  /**
   * Read by a host that can as soon as the main process has exited, if nothing of its process
   * group is left by then, and reported with the exit (one message instead of a request more).
   */
  outputsFile?: { path: string; maxBytes: number };
  /** The run's last step: the workspace to remove after the exit, under the same condition. */
  removeAfterExit?: StepTreeLayout;
  /**
   * `bash <script>` that may run in a shell the host started ahead of the request (the python
   * launcher's warm shells, docs/procedures.md); a host without them starts it the usual way.
   */
  warm?: boolean;
}

/** Marks a start that failed because the request's `tree` could not be made (nothing of it is left). */
export function markWorkspaceFailure(error: unknown): unknown {
  return error instanceof Error ? Object.assign(error, { workspace: true }) : error;
}

/** Whether a start failed because its workspace could not be made, rather than its files or process. */
export function isWorkspaceFailure(error: unknown): boolean {
  return (error as { workspace?: unknown } | null | undefined)?.workspace === true;
}

/** How the main process ended, and what the host did at that moment for the runner. */
export interface StepExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The outputs file as read at the exit; absent when the host did not read it (the runner then does). */
  outputs?: OutputsFileRead;
  /** The host removes the workspace (`removeAfterExit`) now; the runner need not. */
  removesWorkspace?: boolean;
  /**
   * The host found no process of the step's group left once it had reaped the main one, so
   * nothing of the step can start again: the runner need not look for leftovers itself.
   */
  groupGone?: boolean;
}

/**
 * A step's main process as the runner supervises it, wherever it was started. The process leads
 * its own process group; signals go to the group directly (ProcessGroup), never through this handle.
 */
export interface StepProcessHandle {
  /** The pid once the process runs (it is also the process group id), or why it could not start. */
  readonly started: Promise<{ pid: number } | { error: unknown }>;
  readonly exited: Promise<StepExit>;
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
  createTree(tree: StepTree): Promise<void>;
  /**
   * Reads an outputs file without following a symbolic link and without blocking on a FIFO a
   * step may have put there; refuses anything but a regular file of at most `maxBytes`.
   */
  readOutputs(path: string, maxBytes: number): Promise<OutputsFileRead>;
  /** Removes a directory and everything in it, also what a step made read-only; `files` are those the runner made. */
  removeTree(layout: StepTreeLayout): Promise<void>;
  spawn(request: StepSpawnRequest, onOutput: (stream: StepOutputStream, chunk: Buffer) => void): StepProcessHandle;
}
