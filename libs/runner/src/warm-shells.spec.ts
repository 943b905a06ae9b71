import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecutionWorkspace } from './execution-workspace';
import { runShellStep, type ShellStepOptions } from './shell-step.runner';
import { StepLauncher, type WarmShellsBy } from './step-launcher';
import type { StepResult } from './step-result';

const launchers: StepLauncher[] = [];
const workspaces: ExecutionWorkspace[] = [];

afterAll(async () => {
  await Promise.all(launchers.map((launcher) => launcher.close()));
  await Promise.all(workspaces.map((workspace) => workspace.remove()));
});

function launcherWith(warmShells: number, warmShellsBy: WarmShellsBy = 'fork'): StepLauncher {
  const launcher = new StepLauncher({ program: 'python3', warmShells, warmShellsBy });
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
function processes(matches: (fields: string[], cmdline: string, pid: number) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const pid = Number(entry);
      const fields = statFields(pid);
      if (!['Z', 'X'].includes(fields[0]) && matches(fields, readFileSync(`/proc/${pid}/cmdline`, 'utf8'), pid)) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found.sort((a, b) => a - b);
}

/** The launcher's shell server, which forks warm shells (none when they are started anew): it leads its session, they do not. */
function shellServersOf(launcherPid: number): number[] {
  return processes((fields, cmdline, pid) => Number(fields[1]) === launcherPid && cmdline.includes('read -r -u 5 -a f') && Number(fields[3]) === pid);
}

/** The launcher's children that are warm shells waiting for a step (forked ones have the server's command line). */
function warmShellsOf(launcherPid: number): number[] {
  const servers = shellServersOf(launcherPid);
  return processes((fields, cmdline) => Number(fields[1]) === launcherPid && cmdline.includes('__switchboard_warm')).filter((pid) => !servers.includes(pid));
}

/** A script's first line: how its shell was started (`warm` for both kinds of warm shell). */
const HOW = String.raw`read -ra how < /proc/$$/stat; [[ $- == *c* || how[5] -ne $$ ]] && echo warm || echo cold`;

async function until<T>(look: () => T, isDone: (value: T) => boolean, ms = 3_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = look();
    if (isDone(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs a first bash step, waits until the launcher has `count` warm shells, and returns the launcher's pid. */
async function warmUp(launcher: StepLauncher, count: number): Promise<number> {
  // With a #! line: a forked shell leaves it to a cold start, so the pool is still whole after it.
  const first = await runBash(await workspaceOf(launcher), '#!/bin/bash\necho "$PPID"');
  expect(first.result.outcome).toBe('succeeded');
  const launcherPid = Number(first.text);
  expect(await until(() => warmShellsOf(launcherPid), (pids) => pids.length === count)).toHaveLength(count);
  return launcherPid;
}

/**
 * Says how it was started (a started warm shell runs it in bash -c, a forked one in the server's
 * session), then everything a script can see of how it was started.
 */
const PROBE = String.raw`
read -ra stat < /proc/$$/stat
[[ $- == *c* ]] && echo "start=started" || { (( stat[5] == $$ )) && echo "start=cold" || echo "start=forked"; }
echo "0=$0 #=$# PWD=$PWD pwd=$(pwd -P) umask=$(umask) shlvl=$SHLVL BASH=$BASH"
echo "leads its group: $(( stat[4] == $$ ))"
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

/** What a forked shell gets as a new shell, where a started warm shell sources the script. */
const NEW_SHELL_PROBE = `
echo "flags=$- funcname=\${FUNCNAME[*]} lineno=\${BASH_LINENO[*]} argc=\${BASH_ARGC[*]} argv=\${BASH_ARGV[*]} pid=$(( $$ == BASHPID ))"
f() { return 3; }; f; echo "f=$?"
return 4 2>&1
echo "after return"
`;

const MODES: Array<{ by: WarmShellsBy; start: string }> = [{ by: 'fork', start: 'forked' }, { by: 'start', start: 'started' }];

describe.each(MODES)('warm shells (python launcher, $by)', ({ by, start }) => {
  it('run a bash step in a shell made before the step, as `bash <script>` would', async () => {
    const warm = launcherWith(2, by);
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
    expect(warmRun.text).toMatch(new RegExp(`^start=${start}\n`));
    expect(coldRun.text).toMatch(/^start=cold\n/);
    expect(warmRun.text.replace(/^start=\w+\n/, '')).toBe(coldRun.text.replace(/^start=\w+\n/, ''));
    for (const ran of runs) {
      expect(ran.result).toMatchObject({ outcome: 'failed', exitCode: 7, outputs: { key: 'value' } });
      expect(ran.text).toContain('<workspace>/steps/2-probe.sh: line 17: undefined_command_here: command not found');
      expect(ran.text).toContain('leads its group: 1');
      expect(ran.text).toContain('declare -x PARAM_TEXT=$\'a b $(touch /tmp/warm-pwned) `id` "q" \\\'s\\\'\\nsecond line\'');
    }
  });

  it('are made with the launcher, for the bash on the default PATH, and follow a step that uses another bash', async () => {
    const launcher = launcherWith(1, by);
    const workspace = await workspaceOf(launcher);
    // The first step may come before the first shell is ready (a forked one is made in the background).
    const launcherPid = Number((await runBash(workspace, 'echo "$PPID"')).text);
    await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 1);
    const probe = `${HOW}; echo "$BASH"`;
    expect((await runBash(workspace, probe)).text).toBe('warm\n/usr/bin/bash');
    // Another bash: a link to it under another name, first on the step's PATH.
    const elsewhere = mkdtempSync(join(tmpdir(), 'other-bash-'));
    try {
      symlinkSync('/usr/bin/bash', join(elsewhere, 'bash'));
      const path = `${elsewhere}:/usr/bin:/bin`;
      expect((await runBash(workspace, probe, { path })).text).toBe(`cold\n${elsewhere}/bash`);
      await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 1);
      expect((await runBash(workspace, probe, { path })).text).toBe(`warm\n${elsewhere}/bash`);
      expect((await runBash(workspace, probe)).text).toBe('cold\n/usr/bin/bash');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('start the usual way a step whose environment names a variable bash treats specially', async () => {
    const launcher = launcherWith(1, by);
    await warmUp(launcher, 1);
    const workspace = await workspaceOf(launcher);
    // bash takes IFS from no environment; assigned in a started shell, it would split words on ':'.
    const special = await runBash(workspace, `${HOW}; printf "%q" "$IFS"`, { secretEnv: { IFS: ':' } });
    expect(special.text).toBe("cold\n$' \\t\\n'");
    expect((await runBash(workspace, HOW)).text).toBe('warm');
  });

  it('end the whole process group of a canceled step', async () => {
    const launcher = launcherWith(1, by);
    await warmUp(launcher, 1);
    const workspace = await workspaceOf(launcher);
    const abort = new AbortController();
    let pid = 0;
    const lines: string[] = [];
    const running = runBash(workspace, `${HOW}; sleep 100 & sleep 100 & echo started; wait`, {
      signal: abort.signal, killGraceMs: 1_000,
      onStart: (started) => {
        pid = started.pid;
      },
      onLine: (line) => {
        lines.push(line.text);
        if (line.text === 'started') abort.abort('canceled by test');
      },
    });
    const { result } = await running;
    expect(result).toMatchObject({ outcome: 'canceled' });
    expect(lines.slice(0, 2)).toEqual(['warm', 'started']);
    expect(processes((fields) => Number(fields[2]) === pid)).toEqual([]);
  });

  it('are replaced when they die before their step, and no longer made when they keep dying', async () => {
    const launcher = launcherWith(2, by);
    const launcherPid = await warmUp(launcher, 2);
    const first = warmShellsOf(launcherPid);
    for (const pid of first) process.kill(pid, 'SIGKILL');
    const second = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 2 && !pids.some((pid) => first.includes(pid)));
    expect(second).toHaveLength(2);
    const workspace = await workspaceOf(launcher);
    expect((await runBash(workspace, HOW)).text).toBe('warm');

    // The warm step reset the count of deaths in a row: three more stop the warming, and bash
    // steps still run, started the usual way.
    const third = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 2);
    process.kill(third[0], 'SIGKILL');
    const fourth = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 2 && !pids.includes(third[0]));
    process.kill(fourth[0], 'SIGKILL');
    process.kill(fourth[1], 'SIGKILL');
    expect(await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 0)).toEqual([]);
    const after = await runBash(workspace, HOW);
    expect(after).toMatchObject({ text: 'cold', result: { outcome: 'succeeded' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warmShellsOf(launcherPid)).toEqual([]);
    expect(shellServersOf(launcherPid)).toEqual([]);
  });

  it('go with their launcher', async () => {
    const launcher = launcherWith(3, by);
    const launcherPid = await warmUp(launcher, 3);
    const shells = [...warmShellsOf(launcherPid), ...shellServersOf(launcherPid)];
    expect(shells).toHaveLength(by === 'fork' ? 4 : 3);
    await launcher.close();
    expect(await until(() => shells.filter(isRunning), (left) => left.length === 0)).toEqual([]);
  });
});

describe('started warm shells (python launcher)', () => {
  it('keep one shell ready while a step runs, and start the others once no step runs', async () => {
    const launcher = launcherWith(3, 'start');
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
      const long = runBash(workspace, `echo started; until [ -e '${go}' ]; do sleep 0.01; done; ${HOW}`, {
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
      for (let i = 0; i < 2; i += 1) expect((await runBash(workspace, HOW)).text).toBe('warm');
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
});

describe('forked warm shells (python launcher)', () => {
  it('run the script as a new shell, as `bash <script>` does, where a started warm shell sources it', async () => {
    const forked = launcherWith(1, 'fork');
    await warmUp(forked, 1);
    const started = launcherWith(1, 'start');
    await warmUp(started, 1);
    const cold = launcherWith(0);
    const [forkedRun, startedRun, coldRun] = await Promise.all(
      [forked, started, cold].map(async (launcher) => {
        const workspace = await workspaceOf(launcher);
        const ran = await runBash(workspace, `${HOW}\n${NEW_SHELL_PROBE}`);
        return { ...ran, text: ran.text.replaceAll(workspace.dir, '<workspace>') };
      }),
    );
    expect(coldRun.text).toBe('cold\nflags=hB funcname= lineno=0 argc=0 argv= pid=1\nf=3\n<workspace>/steps/2-probe.sh: line 5: return: can only `return\' from a function or sourced script\nafter return');
    expect(forkedRun.text).toBe(coldRun.text.replace(/^cold/, 'warm'));
    // A started warm shell sources the script (docs/procedures.md): bash -c's flags, a `source` frame in BASH_LINENO and BASH_ARGC, and return ends the script.
    expect(startedRun.text).toBe('warm\nflags=hBc funcname= lineno=1 argc=1 0 argv=<workspace>/steps/2-probe.sh pid=1\nf=3');
    expect(forkedRun.result).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
  });

  it('lead their own process group in the shell server\'s session, and report a signal that ends them exactly', async () => {
    const launcher = launcherWith(1, 'fork');
    const launcherPid = await warmUp(launcher, 1);
    const [server] = shellServersOf(launcherPid);
    const workspace = await workspaceOf(launcher);
    const ran = await runBash(workspace, `${HOW}; read -ra s < /proc/$$/stat; echo "$(( s[4] == $$ )) $(( s[5] == ${server} )) $PPID"; kill -KILL $$`);
    expect(ran.text).toBe(`warm\n1 1 ${launcherPid}`);
    expect(ran.result).toMatchObject({ outcome: 'failed', exitCode: null, signal: 'SIGKILL' });
    const exited = await runBash(workspace, `${HOW}; exit 137`);
    expect(exited.result).toMatchObject({ outcome: 'failed', exitCode: 137, signal: null });
  });

  it('run a script that starts with #! the usual way, still with bash', async () => {
    const launcher = launcherWith(1, 'fork');
    await warmUp(launcher, 1);
    const workspace = await workspaceOf(launcher);
    const ran = await runBash(workspace, `#!/usr/bin/python3\n${HOW}; echo "$BASH_VERSION" | cut -d. -f1`);
    expect(ran.text).toBe('cold\n5');
    expect((await runBash(workspace, HOW)).text).toBe('warm');
  });

  it('wait for what a step leaves running once it exits, so its process group ends', async () => {
    const launcher = launcherWith(1, 'fork');
    const launcherPid = await warmUp(launcher, 1);
    const workspace = await workspaceOf(launcher);
    // Left behind in its own session: it outlives the step, and the launcher becomes its parent.
    const ran = await runBash(workspace, `${HOW}; setsid sleep 0.3 >/dev/null 2>&1 & echo "$!"`);
    const [how, left] = ran.text.split('\n');
    expect(how).toBe('warm');
    expect(Number(statFields(Number(left))[1])).toBe(launcherPid);
    expect(await until(() => existsSync(`/proc/${left}`), (exists) => !exists)).toBe(false);
  });

  it('give way to started warm shells when the shell server dies', async () => {
    const launcher = launcherWith(2, 'fork');
    const launcherPid = await warmUp(launcher, 2);
    const forked = warmShellsOf(launcherPid);
    const [server] = shellServersOf(launcherPid);
    process.kill(server, 'SIGKILL');
    // Its shells go with it, and shells are started instead, which run the script in bash -c.
    const started = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 2 && !pids.some((pid) => forked.includes(pid)));
    expect(started.filter((pid) => forked.includes(pid))).toEqual([]);
    expect(shellServersOf(launcherPid)).toEqual([]);
    const workspace = await workspaceOf(launcher);
    expect((await runBash(workspace, '[[ $- == *c* ]] && echo started')).text).toBe('started');
  });

  it('keep the pool full while steps run, forking in batches of at least half of it', async () => {
    const launcher = launcherWith(4, 'fork');
    const launcherPid = await warmUp(launcher, 4);
    const workspace = await workspaceOf(launcher);
    const pool = warmShellsOf(launcherPid);
    expect((await runBash(workspace, HOW)).text).toBe('warm');
    // One taken: three left, one missing, less than half: none forked yet.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(warmShellsOf(launcherPid)).toEqual(pool.slice(1));
    expect((await runBash(workspace, HOW)).text).toBe('warm');
    // Two missing: both forked at once.
    const refilled = await until(() => warmShellsOf(launcherPid), (pids) => pids.length === 4);
    expect(refilled.filter((pid) => !pool.includes(pid))).toHaveLength(2);
  });
});
