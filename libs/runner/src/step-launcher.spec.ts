import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecutionWorkspace } from './execution-workspace';
import { runShellStep } from './shell-step.runner';
import { LauncherFrames, pythonCandidates, StepLauncher, type StepLauncherProgram } from './step-launcher';
import type { StepLine } from './step-result';

const launchers: StepLauncher[] = [];
const workspaces: ExecutionWorkspace[] = [];

afterAll(async () => {
  await Promise.all(launchers.map((launcher) => launcher.close()));
  await Promise.all(workspaces.map((workspace) => workspace.remove()));
});

async function setUp(program: StepLauncherProgram): Promise<{ launcher: StepLauncher; workspace: ExecutionWorkspace }> {
  const launcher = new StepLauncher({ program });
  launchers.push(launcher);
  const workspace = await ExecutionWorkspace.create({ executionId: `launcher-${randomUUID()}`, params: {}, host: launcher });
  workspaces.push(workspace);
  return { launcher, workspace };
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function isRunning(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

/** A bash step of the workspace runs, and its parent is this process (no launcher in between). */
async function expectStepStartedByThisProcess(workspace: ExecutionWorkspace): Promise<void> {
  const lines: StepLine[] = [];
  const result = await runShellStep({ workspace, stepName: 'here', shell: 'bash', run: 'echo "parent=$PPID"', onLine: (line) => lines.push(line) });
  expect(result.outcome).toBe('succeeded');
  expect(lines[0].text).toBe(`parent=${process.pid}`);
}

describe.each(['python3', 'node'] as const)('StepLauncher (%s)', (program) => {
  it('runs that program', async () => {
    const { launcher } = await setUp(program);
    expect(await launcher.program()).toBe(program);
  });

  it('starts steps from its own process, not from the caller', async () => {
    const { workspace } = await setUp(program);
    let pid = 0;
    const lines: StepLine[] = [];
    const result = await runShellStep({
      workspace, stepName: 'who', shell: 'bash', run: 'echo "parent=$PPID"',
      onStart: (started) => {
        pid = started.pid;
      },
      onLine: (line) => lines.push(line),
    });
    expect(result.outcome).toBe('succeeded');
    const parent = Number(lines[0].text.replace('parent=', ''));
    expect(parent).not.toBe(process.pid);
    expect(pid).toBeGreaterThan(1);
  });

  it('kills the steps of a launcher that died, and starts a new launcher for the next step', async () => {
    const { workspace } = await setUp(program);
    let pid = 0;
    const running = runShellStep({
      workspace, stepName: 'long', shell: 'bash', run: 'sleep 100',
      onStart: (started) => {
        pid = started.pid;
      },
      onLine: () => undefined,
    });
    while (pid === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const launcherPid = parentOf(pid);
    expect(launcherPid).not.toBe(process.pid);
    process.kill(launcherPid, 'SIGKILL');
    const result = await running;
    expect(result).toMatchObject({ outcome: 'failed', signal: 'SIGKILL' });
    expect(isRunning(pid)).toBe(false);

    const lines: StepLine[] = [];
    const next = await runShellStep({ workspace, stepName: 'next', shell: 'bash', run: 'echo again', onLine: (line) => lines.push(line) });
    expect(next.outcome).toBe('succeeded');
    expect(lines.map((line) => line.text)).toEqual(['again']);
  });

  it('makes and removes a private workspace, and reads a step\'s outputs', async () => {
    const { workspace } = await setUp(program);
    expect(statSync(workspace.dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(workspace.paramsFile, 'utf8')).toBe('{}');
    const result = await runShellStep({
      workspace, stepName: 'out', shell: 'bash', run: 'echo "answer=42" >> "$SWITCHBOARD_OUTPUT"; touch "$HOME/left-behind"', onLine: () => undefined,
    });
    expect(result).toMatchObject({ outcome: 'succeeded', outputs: { answer: '42' } });
    await workspace.remove();
    expect(existsSync(workspace.dir)).toBe(false);
  });

  it('makes a planned workspace with the first step, reads the outputs with the exit and removes the workspace after the last step', async () => {
    const launcher = new StepLauncher({ program });
    launchers.push(launcher);
    const workspace = ExecutionWorkspace.plan({ executionId: `planned-${randomUUID()}`, params: { a: 1 }, host: launcher });
    workspaces.push(workspace);
    expect(existsSync(workspace.dir)).toBe(false);
    const first = await runShellStep({
      workspace, stepName: 'first', shell: 'bash', run: 'cat "$SWITCHBOARD_PARAMS"; echo "n=1" >> "$SWITCHBOARD_OUTPUT"', onLine: () => undefined,
    });
    expect(first).toMatchObject({ outcome: 'succeeded', outputs: { n: '1' } });
    expect(statSync(workspace.dir).mode & 0o777).toBe(0o700);
    const lines: StepLine[] = [];
    const last = await runShellStep({
      workspace, stepName: 'last', shell: 'bash', run: 'echo "n=2" >> "$SWITCHBOARD_OUTPUT"; ls "$HOME/.." | sort | tr "\\n" " "',
      onLine: (line) => lines.push(line), isLastStep: true,
    });
    expect(last).toMatchObject({ outcome: 'succeeded', outputs: { n: '2' } });
    expect(lines.map((line) => line.text)).toEqual(['home params.json steps tmp work ']);
    // Removed by the launcher after it reported the exit; nothing waits for it.
    for (let i = 0; i < 100 && existsSync(workspace.dir); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(existsSync(workspace.dir)).toBe(false);
  });

  it('leaves the workspace of a last step whose processes outlive it to the worker, which ends them first', async () => {
    const { workspace } = await setUp(program);
    const result = await runShellStep({
      workspace, stepName: 'daemon', shell: 'bash', run: 'sleep 30 & echo "k=v" >> "$SWITCHBOARD_OUTPUT"', onLine: () => undefined, isLastStep: true,
    });
    expect(result).toMatchObject({ outcome: 'succeeded', outputs: { k: 'v' } });
    expect(existsSync(workspace.dir)).toBe(true);
    await workspace.remove();
    expect(existsSync(workspace.dir)).toBe(false);
  });

  it('says with the exit whether anything of the step\'s process group is left', async () => {
    const { launcher } = await setUp(program);
    const exitOf = async (script: string) => {
      const child = launcher.spawn({ command: '/bin/sh', args: ['-c', script], cwd: tmpdir(), env: { PATH: '/usr/bin:/bin' } }, () => undefined);
      const started = await child.started;
      if ('error' in started) throw started.error;
      return { pid: started.pid, exit: await child.exited };
    };
    expect((await exitOf('exit 3')).exit).toMatchObject({ code: 3, groupGone: true });
    const left = await exitOf('sleep 30 >/dev/null 2>&1 & exit 0');
    expect(left.exit).toMatchObject({ code: 0, groupGone: false });
    process.kill(-left.pid, 'SIGKILL');
  });

  it('makes no directory for a planned workspace that runs no shell step', async () => {
    const launcher = new StepLauncher({ program });
    launchers.push(launcher);
    const workspace = ExecutionWorkspace.plan({ executionId: `unused-${randomUUID()}`, params: {}, host: launcher });
    await workspace.remove();
    expect(existsSync(workspace.dir)).toBe(false);
  });

  it('works in the worker itself once closed', async () => {
    const { launcher, workspace } = await setUp(program);
    await launcher.close();
    await expectStepStartedByThisProcess(workspace);
  });
});

describe('StepLauncher program choice', () => {
  it('says which launcher started, and which could not', async () => {
    const notes: Array<{ level: string; message: string; launcher?: string }> = [];
    const logger = {
      info: (details: { launcher?: string }, message: string) => notes.push({ level: 'info', message, launcher: details.launcher }),
      warn: (details: { launcher?: string }, message: string) => notes.push({ level: 'warn', message, launcher: details.launcher }),
    };
    const launcher = new StepLauncher({ python: '/nonexistent/python3', logger });
    launchers.push(launcher);
    expect(await launcher.program()).toBe('node');
    expect(notes).toEqual([
      { level: 'warn', message: 'step launcher could not start', launcher: 'python3' },
      { level: 'info', message: 'step launcher started', launcher: 'node' },
    ]);
  });

  it('prefers the python launcher, and falls back to the node one when python3 is missing or fails to start', async () => {
    const auto = new StepLauncher();
    const missing = new StepLauncher({ python: '/nonexistent/python3' });
    const failing = new StepLauncher({ python: '/bin/false' });
    launchers.push(auto, missing, failing);
    expect(await auto.program()).toBe('python3');
    expect(await missing.program()).toBe('node');
    expect(await failing.program()).toBe('node');
  });

  it('tries each interpreter it is given in turn before the node launcher', async () => {
    const notes: Array<{ message: string; launcher?: string; python?: string }> = [];
    const note = (details: { launcher?: string; python?: string }, message: string): number => notes.push({ message, launcher: details.launcher, python: details.python });
    const [python] = pythonCandidates();
    const launcher = new StepLauncher({ python: ['/bin/false', python], logger: { info: note, warn: note } });
    launchers.push(launcher);
    expect(await launcher.program()).toBe('python3');
    expect(notes).toEqual([
      { message: 'step launcher could not start', launcher: 'python3', python: '/bin/false' },
      { message: 'step launcher started', launcher: 'python3', python },
    ]);
  });

  it('looks for the platform\'s python3 first, then the first one on PATH that is another file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-python-'));
    try {
      const own = join(dir, 'own', 'python3');
      const linked = join(dir, 'linked', 'python3');
      for (const sub of ['own', 'linked', 'empty']) mkdirSync(join(dir, sub));
      writeFileSync(own, '#!/bin/sh\n');
      chmodSync(own, 0o755);
      // With no directory on the PATH, only the platform's: ['/usr/bin/python3'] where it exists (CI installs it).
      const platform = pythonCandidates('');
      expect(platform.every((python) => python === '/usr/bin/python3')).toBe(true);
      expect(pythonCandidates(`${join(dir, 'empty')}:relative:${join(dir, 'own')}:/usr/bin`)).toEqual([...platform, own]);
      if (platform.length === 0) return;
      // The same file under another name is not tried twice.
      symlinkSync('/usr/bin/python3', linked);
      expect(pythonCandidates(`${join(dir, 'linked')}:${join(dir, 'own')}`)).toEqual(platform);
      expect(pythonCandidates('/usr/bin')).toEqual(platform);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does the work in the calling process when the only program asked for cannot start', async () => {
    const launcher = new StepLauncher({ program: 'python3', python: '/bin/false' });
    launchers.push(launcher);
    expect(await launcher.program()).toBeUndefined();
    const workspace = await ExecutionWorkspace.create({ executionId: `local-${randomUUID()}`, params: {}, host: launcher });
    workspaces.push(workspace);
    await expectStepStartedByThisProcess(workspace);
  });
});

describe('StepLauncher (python3) only', () => {
  it('removes a last step\'s workspace however deep a step nested it, and its other steps go on', async () => {
    const { launcher, workspace } = await setUp('python3');
    const other = await ExecutionWorkspace.create({ executionId: `other-${randomUUID()}`, params: {}, host: launcher });
    workspaces.push(other);
    const running = runShellStep({ workspace: other, stepName: 'long', shell: 'bash', run: 'sleep 0.5; echo done', onLine: () => undefined });
    const deep = await runShellStep({
      workspace, stepName: 'deep', shell: 'python3', isLastStep: true, onLine: () => undefined,
      run: 'import os\nos.chdir(os.environ["HOME"])\nfor _ in range(1500):\n    os.mkdir("d")\n    os.chdir("d")\nopen("leaf", "w").close()\nos.chmod("..", 0)\n',
    });
    expect(deep.outcome).toBe('succeeded');
    expect(await running).toMatchObject({ outcome: 'succeeded' });
    for (let i = 0; i < 200 && existsSync(workspace.dir); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(existsSync(workspace.dir)).toBe(false);
  });

  it('removes a link put where the workspace was, not what it points to', async () => {
    const { launcher, workspace } = await setUp('python3');
    const victim = mkdtempSync(join(tmpdir(), 'victim-'));
    try {
      writeFileSync(join(victim, 'keep.txt'), 'keep');
      const result = await runShellStep({
        workspace, stepName: 'swap', shell: 'bash', isLastStep: true, onLine: () => undefined,
        run: `cd /; mv "${workspace.dir}" "${workspace.dir}.moved"; ln -s "${victim}" "${workspace.dir}"`,
      });
      expect(result.outcome).toBe('succeeded');
      await launcher.removeTree({ dir: workspace.dir, subdirs: [], files: [] });
      expect(existsSync(join(victim, 'keep.txt'))).toBe(true);
      expect(existsSync(workspace.dir)).toBe(false);
    } finally {
      rmSync(victim, { recursive: true, force: true });
      rmSync(`${workspace.dir}.moved`, { recursive: true, force: true });
    }
  });

  it('reports a step killed by a real-time signal by its number, and goes on', async () => {
    const { workspace } = await setUp('python3');
    const killed = await runShellStep({ workspace, stepName: 'rt', shell: 'bash', run: 'kill -s 40 $$', onLine: () => undefined });
    expect(killed).toMatchObject({ outcome: 'failed', signal: 'SIG40', reason: 'killed by SIG40' });
    const next = await runShellStep({ workspace, stepName: 'next', shell: 'bash', run: 'true', onLine: () => undefined });
    expect(next.outcome).toBe('succeeded');
  });
});

describe('LauncherFrames', () => {
  it('stops at a line that is not an event, and says so once', () => {
    const events: unknown[] = [];
    let corrupt = 0;
    const frames = new LauncherFrames((event) => events.push(event), () => {
      corrupt += 1;
    });
    frames.push(Buffer.from('{"type":"ready"}\nTraceback (most recent call last):\n{"type":"started","id":1,"pid":2}\n'));
    frames.push(Buffer.from('{"type":"started","id":2,"pid":3}\n'));
    expect(events).toEqual([{ type: 'ready' }]);
    expect(corrupt).toBe(1);
  });

  it('cuts events and output bytes apart however the stream is split', () => {
    const stream = Buffer.concat([
      Buffer.from('{"type":"started","id":1,"pid":7}\n{"type":"output","id":1,"stream":"stdout","n":5}\n'),
      Buffer.from([0x68, 0x0a, 0x00, 0xff, 0x7b]),
      Buffer.from('{"type":"output","id":1,"stream":"stderr","n":0}\n{"type":"exited","id":1,"code":0,"signal":null,"outputClosed":true}\n'),
    ]);
    const whole: unknown[] = [];
    new LauncherFrames((event) => whole.push(event)).push(stream);
    expect(whole).toEqual([
      { type: 'started', id: 1, pid: 7 },
      { type: 'output', id: 1, stream: 'stdout', chunk: Buffer.from([0x68, 0x0a, 0x00, 0xff, 0x7b]) },
      { type: 'output', id: 1, stream: 'stderr', chunk: Buffer.alloc(0) },
      { type: 'exited', id: 1, code: 0, signal: null, outputClosed: true },
    ]);
    for (let size = 1; size <= 7; size += 1) {
      const pieces: unknown[] = [];
      const frames = new LauncherFrames((event) => pieces.push(event));
      for (let at = 0; at < stream.length; at += size) frames.push(stream.subarray(at, at + size));
      expect(pieces).toEqual(whole);
    }
  });
});
