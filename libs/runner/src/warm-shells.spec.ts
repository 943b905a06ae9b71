import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecutionWorkspace } from './execution-workspace';
import { runShellStep, type ShellStepOptions } from './shell-step.runner';
import { StepLauncher } from './step-launcher';
import type { StepResult } from './step-result';

const launchers: StepLauncher[] = [];
const workspaces: ExecutionWorkspace[] = [];

afterAll(async () => {
  await Promise.all(launchers.map((launcher) => launcher.close()));
  await Promise.all(workspaces.map((workspace) => workspace.remove()));
});

function launcherWith(warmShells: number): StepLauncher {
  const launcher = new StepLauncher({ program: 'python3', warmShells });
  launchers.push(launcher);
  return launcher;
}

async function workspaceOf(launcher: StepLauncher, params: Record<string, unknown> = {}, executionId = `warm-${randomUUID()}`): Promise<ExecutionWorkspace> {
  const workspace = await ExecutionWorkspace.create({ executionId, params, host: launcher });
  workspaces.push(workspace);
  return workspace;
}

interface Ran {
  result: StepResult;
  text: string;
  pid: number;
}

async function runBash(workspace: ExecutionWorkspace, run: string, options: Partial<ShellStepOptions> = {}): Promise<Ran> {
  const lines: string[] = [];
  let pid = 0;
  const result = await runShellStep({
    workspace, stepName: 'probe', shell: 'bash', run, onLine: (line) => lines.push(line.text),
    onStart: (started) => {
      pid = started.pid;
    },
    ...options,
  });
  return { result, text: lines.join('\n'), pid };
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function isRunning(pid: number): boolean {
  try {
    return !['Z', 'X'].includes(statFields(pid)[0]);
  } catch {
    return false;
  }
}

/** Live processes (not zombies) whose /proc/<pid>/stat fields after the name match, and their command line. */
function processes(matches: (fields: string[], cmdline: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const pid = Number(entry);
      const fields = statFields(pid);
      if (!['Z', 'X'].includes(fields[0]) && matches(fields, readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

/** The launcher's children that are warm shells waiting for a step. */
function warmShellsOf(launcherPid: number): number[] {
  return processes((fields, cmdline) => Number(fields[1]) === launcherPid && cmdline.includes('__switchboard_warm'));
}

async function until<T>(look: () => T, isDone: (value: T) => boolean, ms = 3_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = look();
    if (isDone(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs a first bash step, waits until the launcher has `count` warm shells, and returns its pid. */
async function warmUp(launcher: StepLauncher, count: number): Promise<number> {
  const first = await runBash(await workspaceOf(launcher), 'echo "$PPID"');
  expect(first.result.outcome).toBe('succeeded');
  const launcherPid = Number(first.text);
  expect(await until(() => warmShellsOf(launcherPid), (pids) => pids.length === count)).toHaveLength(count);
  return launcherPid;
}

/** Says whether it ran in a warm shell (bash -c), then everything a script can see of how it was started. */
const PROBE = String.raw`
[[ $- == *c* ]] && echo "warm=yes" || echo "warm=no"
echo "0=$0 #=$# PWD=$PWD pwd=$(pwd -P) umask=$(umask) shlvl=$SHLVL BASH=$BASH"
read -ra stat < /proc/$$/stat
echo "leads its group and session: $(( stat[4] == $$ && stat[5] == $$ ))"
declare -px | sort
declare -p BASH_SOURCE SHELL
ls /proc/self/fd | tr '\n' ' '; echo
grep -E '^Sig(Blk|Ign)' /proc/self/status
cat /proc/self/limits | md5sum
trap -p
shopt -p
set +o
printf '%s\n' "$PARAM_TEXT"
cat "$SWITCHBOARD_PARAMS"; echo
echo "key=value" >> "$SWITCHBOARD_OUTPUT"
undefined_command_here
exit 7
`;

const STEP_OPTIONS: Partial<ShellStepOptions> = {
  secretEnv: { DB_PASSWORD: 's3cr=t $(id)' },
  previousOutputs: { earlier: { answer: '42' } },
};
const PARAMS = { text: 'a b $(touch /tmp/warm-pwned) `id` "q" \'s\'\nsecond line', count: 3, flags: ['x', 'y'] };

describe('warm shells (python launcher)', () => {
  it('run a bash step in a shell started before the step, as `bash <script>` would', async () => {
    const warm = launcherWith(2);
    await warmUp(warm, 2);
    const cold = launcherWith(0);
    const executionId = `warm-${randomUUID()}`;
    const runs = await Promise.all(
      [warm, cold].map(async (launcher) => {
        const workspace = await workspaceOf(launcher, PARAMS, executionId);
        const ran = await runBash(workspace, PROBE, STEP_OPTIONS);
        return { ...ran, text: ran.text.replaceAll(workspace.dir, '<workspace>') };
      }),
    );
    const [warmRun, coldRun] = runs;
    expect(warmRun.text).toMatch(/^warm=yes\n/);
    expect(coldRun.text).toMatch(/^warm=no\n/);
    expect(warmRun.text.replace(/^warm=yes\n/, '')).toBe(coldRun.text.replace(/^warm=no\n/, ''));
    for (const ran of runs) {
      expect(ran.result).toMatchObject({ outcome: 'failed', exitCode: 7, outputs: { key: 'value' } });
      expect(ran.text).toContain('<workspace>/steps/2-probe.sh: line 17: undefined_command_here: command not found');
      expect(ran.text).toContain('leads its group and session: 1');
      expect(ran.text).toContain('declare -x PARAM_TEXT=$\'a b $(touch /tmp/warm-pwned) `id` "q" \\\'s\\\'\\nsecond line\'');
    }
  });

  it('are started with the launcher, for the bash on the default PATH, and follow a step that uses another bash', async () => {
    const launcher = launcherWith(1);
    const workspace = await workspaceOf(launcher);
    const probe = '[[ $- == *c* ]] && echo "warm $BASH" || echo "cold $BASH"';
    expect((await runBash(workspace, probe)).text).toBe('warm /usr/bin/bash');
    // Another bash: a link to it under another name, first on the step's PATH.
    const elsewhere = mkdtempSync(join(tmpdir(), 'other-bash-'));
    try {
      symlinkSync('/usr/bin/bash', join(elsewhere, 'bash'));
      const path = `${elsewhere}:/usr/bin:/bin`;
      expect((await runBash(workspace, probe, { path })).text).toBe(`cold ${elsewhere}/bash`);
      expect((await runBash(workspace, probe, { path })).text).toBe(`warm ${elsewhere}/bash`);
      expect((await runBash(workspace, probe)).text).toBe('cold /usr/bin/bash');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('start the usual way a step whose environment names a variable bash treats specially', async () => {
    const launcher = launcherWith(1);
    await warmUp(launcher, 1);
    const workspace = await workspaceOf(launcher);
    // bash takes IFS from no environment; assigned in a started shell, it would split words on ':'.
    const special = await runBash(workspace, '[[ $- == *c* ]] && echo warm || echo cold; printf "%q" "$IFS"', { secretEnv: { IFS: ':' } });
    expect(special.text).toBe("cold\n$' \\t\\n'");
    const plain = await runBash(workspace, '[[ $- == *c* ]] && echo warm || echo cold');
    expect(plain.text).toBe('warm');
  });

  it('end the whole process group of a canceled step', async () => {
    const launcher = launcherWith(1);
    await warmUp(launcher, 1);
    const workspace = await workspaceOf(launcher);
    const abort = new AbortController();
    let pid = 0;
    const running = runBash(workspace, 'sleep 100 & sleep 100 & echo started; wait', {
      signal: abort.signal, killGraceMs: 1_000,
      onStart: (started) => {
        pid = started.pid;
      },
      onLine: (line) => {
        if (line.text === 'started') abort.abort('canceled by test');
      },
    });
    const { result } = await running;
    expect(result).toMatchObject({ outcome: 'canceled' });
    expect(processes((fields) => Number(fields[2]) === pid)).toEqual([]);
  });

  it('are replaced when they die before their step, and no longer started when they keep dying', async () => {
    const launcher = launcherWith(2);
    const launcherPid = await warmUp(launcher, 2);
    const first = warmShellsOf(launcherPid);
    for (const pid of first) process.kill(pid, 'SIGKILL');
    const second = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 2 && !pids.some((pid) => first.includes(pid)));
    expect(second).toHaveLength(2);
    const workspace = await workspaceOf(launcher);
    expect((await runBash(workspace, '[[ $- == *c* ]] && echo warm')).text).toBe('warm');

    // The warm step reset the count of deaths in a row: three more stop the warming, and bash
    // steps still run, started the usual way.
    const third = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 2);
    process.kill(third[0], 'SIGKILL');
    const fourth = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 2 && !pids.includes(third[0]));
    process.kill(fourth[0], 'SIGKILL');
    process.kill(fourth[1], 'SIGKILL');
    expect(await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 0)).toEqual([]);
    const after = await runBash(workspace, '[[ $- == *c* ]] && echo warm || echo cold');
    expect(after).toMatchObject({ text: 'cold', result: { outcome: 'succeeded' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warmShellsOf(launcherPid)).toEqual([]);
  });

  it('keep one shell ready while a step runs, and start the others once no step runs', async () => {
    const launcher = launcherWith(3);
    const launcherPid = await warmUp(launcher, 3);
    const workspace = await workspaceOf(launcher);
    const flags = mkdtempSync(join(tmpdir(), 'warm-flag-'));
    const go = join(flags, 'go');
    try {
      let longPid = 0;
      const longLines: string[] = [];
      let startedLong: () => void = () => undefined;
      const started = new Promise<void>((resolve) => {
        startedLong = resolve;
      });
      const long = runBash(workspace, `echo started; until [ -e '${go}' ]; do sleep 0.01; done; [[ $- == *c* ]] && echo warm`, {
        onStart: (process) => {
          longPid = process.pid;
        },
        onLine: (line) => {
          longLines.push(line.text);
          if (line.text === 'started') startedLong();
        },
      });
      await started;
      // The shell running the step still has the bootstrap's command line: leave it out.
      const waiting = (): number[] => warmShellsOf(launcherPid).filter((pid) => pid !== longPid);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(waiting()).toHaveLength(2);
      for (let i = 0; i < 2; i += 1) expect((await runBash(workspace, '[[ $- == *c* ]] && echo warm')).text).toBe('warm');
      // The second of them took the last waiting shell: one more started, not three.
      expect(await until(waiting, (pids) => pids.length === 1)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(waiting()).toHaveLength(1);

      writeFileSync(go, '');
      expect((await long).result).toMatchObject({ outcome: 'succeeded' });
      expect(longLines).toEqual(['started', 'warm']);
      expect(await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 3)).toHaveLength(3);
    } finally {
      rmSync(flags, { recursive: true, force: true });
    }
  });

  it('go with their launcher', async () => {
    const launcher = launcherWith(3);
    const launcherPid = await warmUp(launcher, 3);
    const shells = warmShellsOf(launcherPid);
    await launcher.close();
    expect(await until(() => shells.filter(isRunning), (left) => left.length === 0)).toEqual([]);
  });
});
