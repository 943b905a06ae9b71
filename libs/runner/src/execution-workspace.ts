import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ExecutionWorkspaceOptions {
  executionId: string;
  params: Readonly<Record<string, unknown>>;
  /** Directory to create the workspace in; defaults to the OS temp dir. */
  baseDir?: string;
}

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_').slice(0, 64) || '_';
}

/**
 * The private directory one execution runs in: HOME, TMPDIR and working dir of its steps, the
 * parameters file, step scripts and output files. Only the worker's user can enter it, because
 * it holds parameter values, secrets included.
 */
export class ExecutionWorkspace {
  private fileCount = 0;

  private constructor(
    readonly executionId: string,
    readonly params: Readonly<Record<string, unknown>>,
    readonly dir: string,
  ) {}

  static async create(options: ExecutionWorkspaceOptions): Promise<ExecutionWorkspace> {
    const prefix = `switchboard-${safeFileName(options.executionId).slice(0, 40)}-`;
    const dir = await mkdtemp(join(options.baseDir ?? tmpdir(), prefix));
    const workspace = new ExecutionWorkspace(options.executionId, options.params, dir);
    try {
      await chmod(dir, PRIVATE_DIR);
      for (const sub of [workspace.homeDir, workspace.tmpDir, workspace.workDir, workspace.stepsDir]) {
        await mkdir(sub, { mode: PRIVATE_DIR });
      }
      await writeFile(workspace.paramsFile, JSON.stringify(options.params), { mode: PRIVATE_FILE, flag: 'wx' });
    } catch (error: unknown) {
      await workspace.remove();
      throw error;
    }
    return workspace;
  }

  get homeDir(): string {
    return join(this.dir, 'home');
  }

  get tmpDir(): string {
    return join(this.dir, 'tmp');
  }

  /** The current directory of every step. */
  get workDir(): string {
    return join(this.dir, 'work');
  }

  get paramsFile(): string {
    return join(this.dir, 'params.json');
  }

  private get stepsDir(): string {
    return join(this.dir, 'steps');
  }

  /** A fresh, empty file for the step to write `key=value` outputs to. */
  async createOutputFile(stepName: string): Promise<string> {
    return this.createPrivateFile(stepName, '.outputs', '');
  }

  /** Writes a step's script text; the interpreter reads it, so it needs no execute bit. */
  async writeScript(stepName: string, text: string, extension = ''): Promise<string> {
    return this.createPrivateFile(stepName, extension, text);
  }

  async remove(): Promise<void> {
    try {
      await rm(this.dir, { recursive: true, force: true });
    } catch (error: unknown) {
      if (!isPermissionError(error)) throw error;
      // A step may have left a directory without write permission; take ownership back and retry.
      await makeWritable(this.dir);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private async createPrivateFile(stepName: string, suffix: string, content: string): Promise<string> {
    this.fileCount += 1;
    const path = join(this.stepsDir, `${this.fileCount}-${safeFileName(stepName)}${suffix}`);
    // "wx": never write through something a step may have placed at that path.
    await writeFile(path, content, { mode: PRIVATE_FILE, flag: 'wx' });
    return path;
  }
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
