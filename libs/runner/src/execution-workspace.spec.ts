import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionWorkspace } from './execution-workspace';
import { runShellStep } from './shell-step.runner';
import type { StepHost } from './step-host';
import { StepLauncher } from './step-launcher';

const created: ExecutionWorkspace[] = [];
const pythonLauncher = new StepLauncher({ program: 'python3' });
const nodeLauncher = new StepLauncher({ program: 'node' });
let host: StepHost | undefined;

async function createWorkspace(params: Record<string, unknown> = {}, baseDir?: string): Promise<ExecutionWorkspace> {
  const workspace = await ExecutionWorkspace.create({ executionId: `ws-test-${created.length}`, params, baseDir, host });
  created.push(workspace);
  return workspace;
}

/** Runs a bash step in the workspace (which makes its script and outputs file); what it printed. */
async function stepSays(workspace: ExecutionWorkspace, stepName: string, run: string): Promise<string> {
  const lines: string[] = [];
  const result = await runShellStep({ workspace, stepName, shell: 'bash', run, onLine: (line) => lines.push(line.text) });
  expect(result.outcome).toBe('succeeded');
  return lines.join('\n');
}

function mode(stats: { mode: number }): number {
  return stats.mode & 0o777;
}

afterEach(async () => {
  await Promise.all(created.splice(0).map((workspace) => workspace.remove()));
});

afterAll(async () => {
  await Promise.all([pythonLauncher.close(), nodeLauncher.close()]);
});

// Sequential (not concurrent), so `host` is the suite's while its tests run.
describe.each([
  ['made by the worker', undefined],
  ['made by the python step launcher', pythonLauncher],
  ['made by the node step launcher', nodeLauncher],
] as const)('ExecutionWorkspace, %s', (_mode, suiteHost) => {
  beforeAll(() => {
    host = suiteHost;
  });

  it('creates a private directory under the OS temp dir with home, tmp and work dirs', async () => {
    const workspace = await createWorkspace();
    expect(dirname(workspace.dir)).toBe(tmpdir());
    expect(mode(await stat(workspace.dir))).toBe(0o700);
    for (const dir of [workspace.homeDir, workspace.tmpDir, workspace.workDir]) {
      expect((await stat(dir)).isDirectory()).toBe(true);
      expect(mode(await stat(dir))).toBe(0o700);
    }
  });

  it('creates the directory under a given base dir', async () => {
    const base = await createWorkspace();
    const workspace = await createWorkspace({}, base.tmpDir);
    expect(dirname(workspace.dir)).toBe(base.tmpDir);
  });

  it('gives two executions different directories', async () => {
    const [a, b] = await Promise.all([createWorkspace(), createWorkspace()]);
    expect(a.dir).not.toBe(b.dir);
  });

  it('writes all parameters to a private JSON file', async () => {
    const params = { service: 'api', replicas: 2, tags: ['a'], secret: 'hunter2' };
    const workspace = await createWorkspace(params);
    expect(JSON.parse(await readFile(workspace.paramsFile, 'utf8'))).toEqual(params);
    expect(mode(await stat(workspace.paramsFile))).toBe(0o600);
  });

  it('gives every step a fresh, empty, private output file', async () => {
    const workspace = await createWorkspace();
    const report = 'printf "%s %s %s" "$SWITCHBOARD_OUTPUT" "$(stat -c %a "$SWITCHBOARD_OUTPUT")" "$(wc -c < "$SWITCHBOARD_OUTPUT")"';
    const [first, again] = [await stepSays(workspace, 'deploy', report), await stepSays(workspace, 'deploy', report)];
    const [firstPath] = first.split(' ');
    const [againPath, againMode, againSize] = again.split(' ');
    expect(firstPath).not.toBe(againPath);
    expect(againSize).toBe('0');
    expect(againMode).toBe('600');
    expect(firstPath.startsWith(workspace.dir)).toBe(true);
  });

  it('writes scripts as private files, keeping odd step names inside the workspace', async () => {
    const workspace = await createWorkspace();
    const text = 'printf "%s" "$0"\n';
    const script = await stepSays(workspace, '../../etc/passwd', text);
    expect(dirname(dirname(script))).toBe(workspace.dir);
    expect(script.endsWith('.sh')).toBe(true);
    expect(await readFile(script, 'utf8')).toBe(text);
    expect(mode(await stat(script))).toBe(0o600);
  });

  it('removes everything, also directories a step made read-only', async () => {
    const workspace = await createWorkspace();
    const locked = join(workspace.workDir, 'locked');
    await mkdir(locked);
    await writeFile(join(locked, 'file'), 'x');
    await chmod(locked, 0o500);
    await workspace.remove();
    expect(existsSync(workspace.dir)).toBe(false);
  });

  it('removes what steps left in home, tmp and work, and their output files', async () => {
    const workspace = await createWorkspace({ a: 1 });
    await stepSays(workspace, 'build', 'true');
    await writeFile(join(workspace.homeDir, '.history'), 'x');
    await mkdir(join(workspace.tmpDir, 'cache'));
    await workspace.remove();
    expect(existsSync(workspace.dir)).toBe(false);
  });

  it('removing twice is harmless', async () => {
    const workspace = await createWorkspace();
    await workspace.remove();
    await expect(workspace.remove()).resolves.toBeUndefined();
  });
});
