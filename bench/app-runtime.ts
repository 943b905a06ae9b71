import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..');

/**
 * How the processes under test run: compiled JavaScript as in production (the default; built by
 * the benchmark into its temp dir), or the TypeScript sources through @swc-node/register.
 */
export class AppRuntime {
  private constructor(
    readonly description: string,
    private readonly nodeArgs: (entry: string) => string[],
    private readonly extraEnv: Record<string, string>,
  ) {}

  static swcNode(): AppRuntime {
    return new AppRuntime('TypeScript sources via @swc-node/register', (entry) => ['-r', '@swc-node/register', resolve(REPO_ROOT, `${entry}.ts`)], {});
  }

  static compiled(outDir: string): AppRuntime {
    return new AppRuntime('compiled JavaScript (swc, like dist/)', (entry) => [join(outDir, `${entry}.js`)], { NODE_PATH: join(REPO_ROOT, 'node_modules') });
  }

  /** Arguments of node and extra environment for an entry point given without extension, e.g. "apps/worker/src/main". */
  command(entry: string): { args: string[]; env: Record<string, string> } {
    return { args: this.nodeArgs(entry), env: this.extraEnv };
  }
}
