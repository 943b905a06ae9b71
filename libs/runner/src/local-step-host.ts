import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { markWorkspaceFailure, type StepExit, type StepFile, type StepHost, type StepProcessHandle, type StepTree, type StepTreeLayout } from './step-host';

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

/** Steps' files and processes made by this process itself, with asynchronous file system calls. */
export const localStepHost: StepHost = {
  createTree,

  async readOutputs(path, maxBytes) {
    let handle;
    try {
      // O_NONBLOCK: a step could have replaced its output file with a FIFO that nobody ever writes.
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error: unknown) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'missing' };
      if (code === 'ELOOP') return { kind: 'refused', reason: 'the outputs file was replaced by a symbolic link' };
      throw error;
    }
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return { kind: 'refused', reason: 'the outputs file is not a regular file' };
      if (stats.size > maxBytes) return { kind: 'refused', reason: `outputs are ${stats.size} bytes, more than the limit of ${maxBytes}` };
      if (stats.size === 0) return { kind: 'content', text: '' };
      return { kind: 'content', text: (await handle.readFile()).toString('utf8') };
    } finally {
      await handle.close();
    }
  },

  async removeTree(layout) {
    const { dir } = layout;
    // Most steps leave nothing behind: removing what the runner made takes a third of the file
    // system calls of a recursive removal, which looks at every entry first.
    if (await removeKnownLayout(layout)) return;
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error: unknown) {
      if (!isPermissionError(error)) throw error;
      // A step may have left a directory without write permission; take ownership back and retry.
      await makeWritable(dir);
      await rm(dir, { recursive: true, force: true });
    }
  },

  spawn(request, onOutput): StepProcessHandle {
    let stopped = false;
    let stopReading: () => void = () => {
      stopped = true;
    };
    // Outputs are read and the workspace removed by the runner afterwards (no extra request to save here).
    const child = (async () => {
      if (request.tree) await createTree(request.tree).catch((error: unknown) => Promise.reject(markWorkspaceFailure(error)));
      await writeFiles(request.files ?? []);
      // detached: the step becomes its own process group, so one kill(-pgid) reaches all it started.
      return spawn(request.command, request.args, { cwd: request.cwd, env: request.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    })();
    const never = new Promise<never>(() => undefined);
    const started = child.then(
      (process) => new Promise<{ pid: number } | { error: unknown }>((resolve) => {
        process.once('spawn', () => resolve(process.pid === undefined ? { error: new Error('no pid') } : { pid: process.pid }));
        // Kept for the child's lifetime: an 'error' event without a listener would crash the worker.
        process.on('error', (error) => resolve({ error }));
      }),
      (error: unknown) => ({ error }),
    );
    const running = child.catch(() => never);
    const exited = running.then((process) => new Promise<StepExit>((resolve) => {
      process.once('exit', (code, signal) => resolve({ code, signal }));
    }));
    const outputClosed = running.then((process) => {
      const streams = [process.stdout as Readable, process.stderr as Readable];
      streams[0].on('data', (chunk: Buffer) => onOutput('stdout', chunk));
      streams[1].on('data', (chunk: Buffer) => onOutput('stderr', chunk));
      stopReading = () => {
        for (const stream of streams) stream.destroy();
      };
      if (stopped) stopReading();
      return Promise.all(streams.map(closed)).then(() => undefined);
    });
    return { started, exited, outputClosed, stopReading: () => stopReading() };
  },
};

/** All or nothing, like the launcher's: a failure after the directory was made removes it again. */
async function createTree(tree: StepTree): Promise<void> {
  await mkdir(tree.dir, { mode: PRIVATE_DIR });
  try {
    await Promise.all([...tree.subdirs.map((sub) => mkdir(sub, { mode: PRIVATE_DIR })), writeFiles(tree.files)]);
  } catch (error: unknown) {
    await rm(tree.dir, { recursive: true, force: true });
    throw error;
  }
}

async function writeFiles(files: StepFile[]): Promise<void> {
  // "wx": never write through something a step may have placed at that path.
  await Promise.all(files.map((file) => writeFile(file.path, file.content, { mode: PRIVATE_FILE, flag: 'wx' })));
}

/** False when anything else is left (or in the way): the caller then removes recursively. */
async function removeKnownLayout(layout: StepTreeLayout): Promise<boolean> {
  const { dir } = layout;
  const files = new Set(layout.files);
  const leaves = layout.subdirs.filter((sub) => ![...files].some((file) => file.startsWith(`${sub}/`)));
  const parents = layout.subdirs.filter((sub) => !leaves.includes(sub));
  const removals = await Promise.allSettled([
    ...[...files].map((file) => unlink(file).catch(ignoreMissing)),
    ...leaves.map((sub) => rmdir(sub).catch(ignoreMissing)),
  ]);
  if (removals.some((removal) => removal.status === 'rejected')) return false;
  try {
    await Promise.all(parents.map((sub) => rmdir(sub).catch(ignoreMissing)));
    await rmdir(dir).catch(ignoreMissing);
    return true;
  } catch {
    return false;
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw error;
}

function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, PRIVATE_DIR);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await makeWritable(join(dir, entry.name));
  }
}

function closed(stream: Readable): Promise<void> {
  return new Promise((resolve) => stream.once('close', () => resolve()));
}
