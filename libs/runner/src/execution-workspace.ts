import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localStepHost } from './local-step-host';
import type { StepFile, StepHost, StepTree, StepTreeLayout } from './step-host';

export interface ExecutionWorkspaceOptions {
  executionId: string;
  params: Readonly<Record<string, unknown>>;
  /** Directory to create the workspace in; defaults to the OS temp dir. */
  baseDir?: string;
  /** Who makes the files and runs the steps: this process (the default) or the step launcher. */
  host?: StepHost;
}

function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_').slice(0, 64) || '_';
}

/**
 * The private directory one execution runs in: HOME, TMPDIR and working dir of its steps, the
 * parameters file, step scripts and output files. Only the worker's user can enter it, because
 * it holds parameter values, secrets included. Its steps run through the same host that made it.
 *
 * `create` makes it at once; `plan` only names it, and the host makes it together with the first
 * step's process (one request to the step launcher instead of two). A run without shell steps
 * then makes no directory at all.
 */
export class ExecutionWorkspace {
  private readonly files: string[] = [];
  /** Still to be made: handed to the host with the first request that needs the directory. */
  private pendingTree: StepTree | undefined;
  private isGone = false;

  private constructor(
    readonly executionId: string,
    readonly params: Readonly<Record<string, unknown>>,
    readonly dir: string,
    readonly host: StepHost,
  ) {}

  static async create(options: ExecutionWorkspaceOptions): Promise<ExecutionWorkspace> {
    for (let attempt = 0; ; attempt += 1) {
      const workspace = ExecutionWorkspace.plan(options);
      try {
        await workspace.ensureMade();
        return workspace;
      } catch (error: unknown) {
        const code = (error as NodeJS.ErrnoException | undefined)?.code;
        if (code === 'EEXIST' && attempt < 10) continue;
        if (code !== 'EEXIST') await workspace.remove().catch(() => undefined);
        throw error;
      }
    }
  }

  /**
   * Names a fresh workspace without making it. Like mkdtemp, the name is random and the directory
   * is made only if it does not exist yet; 48 random bits make a clash (a failed start) unlikely.
   */
  static plan(options: ExecutionWorkspaceOptions): ExecutionWorkspace {
    const prefix = `switchboard-${safeFileName(options.executionId).slice(0, 40)}-`;
    const dir = join(options.baseDir ?? tmpdir(), `${prefix}${randomUUID().slice(24)}`);
    const workspace = new ExecutionWorkspace(options.executionId, options.params, dir, options.host ?? localStepHost);
    workspace.pendingTree = { dir, subdirs: workspace.subdirs, files: [{ path: workspace.paramsFile, content: JSON.stringify(options.params) }] };
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

  private get subdirs(): string[] {
    return [this.homeDir, this.tmpDir, this.workDir, this.stepsDir];
  }

  /**
   * The paths of a step's fresh outputs file and its script, and what to make for it: the
   * workspace itself if not made yet, then both files. The host makes them together with the
   * step's process (one request, when that is the step launcher).
   */
  stepFiles(stepName: string, script: string, extension: string): { outputFile: string; scriptFile: string; tree?: StepTree; files: StepFile[] } {
    const tree = this.pendingTree;
    this.pendingTree = undefined;
    const outputs = this.stepFile(stepName, '.outputs', '');
    const scriptFile = this.stepFile(stepName, extension, script);
    return { outputFile: outputs.path, scriptFile: scriptFile.path, tree, files: [outputs, scriptFile] };
  }

  /** What the runner made here, for the host to remove. */
  get layout(): StepTreeLayout {
    return { dir: this.dir, subdirs: this.subdirs, files: [this.paramsFile, ...this.files] };
  }

  /** The request that carried the workspace's making failed (all or nothing): the next one makes it again. */
  madeNothing(tree: StepTree): void {
    this.pendingTree ??= tree;
  }

  /**
   * Nothing here is left for the runner to remove: the host removes the workspace itself (after
   * the last step), or its directory existed already and so was never this run's.
   */
  markGone(): void {
    this.isGone = true;
  }

  async remove(): Promise<void> {
    // Never made (a run of HTTP steps only), or gone already: nothing to do.
    if (this.isGone || this.pendingTree) return;
    await this.host.removeTree(this.layout);
  }

  private async ensureMade(): Promise<void> {
    const tree = this.pendingTree;
    if (!tree) return;
    this.pendingTree = undefined;
    await this.host.createTree(tree);
  }

  private stepFile(stepName: string, suffix: string, content: string): StepFile {
    const path = join(this.stepsDir, `${this.files.length + 1}-${safeFileName(stepName)}${suffix}`);
    this.files.push(path);
    return { path, content };
  }
}
