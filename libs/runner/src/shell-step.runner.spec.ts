import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecutionWorkspace } from './execution-workspace';
import { InvalidStepError } from './invalid-step.error';
import { OutputBudget } from './output-budget';
import { runShellStep, type ShellStepOptions } from './shell-step.runner';
import { StepLauncher } from './step-launcher';
import type { StepHost } from './step-host';
import { DEFAULT_STEP_PATH } from './step-environment';
import type { StepLine, StepStream } from './step-result';

const workspaces: ExecutionWorkspace[] = [];

async function createWorkspaceOn(params: Record<string, unknown>, host: StepHost | undefined): Promise<ExecutionWorkspace> {
  const workspace = await ExecutionWorkspace.create({ executionId: `shell-${randomUUID()}`, params, host });
  workspaces.push(workspace);
  return workspace;
}

const pythonLauncher = new StepLauncher({ program: 'python3' });
const nodeLauncher = new StepLauncher({ program: 'node' });

afterAll(async () => {
  await Promise.all(workspaces.map((workspace) => workspace.remove()));
  await Promise.all([pythonLauncher.close(), nodeLauncher.close()]);
});

class Output {
  readonly lines: StepLine[] = [];
  private readonly waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];

  readonly onLine = (line: StepLine): void => {
    this.lines.push(line);
    for (const waiter of [...this.waiters]) {
      const match = waiter.pattern.exec(line.text);
      if (match) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };

  texts(stream: StepStream): string[] {
    return this.lines.filter((line) => line.stream === stream).map((line) => line.text);
  }

  /** Resolves with the first line (already seen or still to come) matching the pattern. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    for (const line of this.lines) {
      const match = pattern.exec(line.text);
      if (match) return Promise.resolve(match);
    }
    return new Promise((resolve) => this.waiters.push({ pattern, resolve }));
  }
}

async function runWith(
  host: StepHost | undefined,
  shell: string,
  script: string,
  overrides: Partial<ShellStepOptions> & { params?: Record<string, unknown> } = {},
) {
  const output = new Output();
  const { params, ...rest } = overrides;
  const workspace = overrides.workspace ?? (await createWorkspaceOn(params ?? {}, host));
  const result = await runShellStep({
    workspace,
    stepName: 'step',
    shell,
    run: script,
    onLine: output.onLine,
    ...rest,
  });
  return { result, output, workspace };
}

/** Processes of the group that still run (zombies excluded: init may take seconds to reap them). */
function liveMembers(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') live.push(Number(entry));
  }
  return live;
}

function isAlive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(20);
  }
}

/** Nothing of the group runs any more, and the group itself disappears once init has reaped the zombies. */
async function expectGroupGone(pgid: number): Promise<void> {
  expect(liveMembers(pgid)).toEqual([]);
  await waitUntil(() => !groupExists(pgid), 5_000, `process group ${pgid} to disappear`);
}

const PARAM_CHECKS: Record<string, string> = {
  bash: `echo "service=$PARAM_SERVICE replicas=$PARAM_REPLICAS"
python3 -c 'import json,os; print("file:" + json.load(open(os.environ["SWITCHBOARD_PARAMS"]))["service"])'`,
  sh: `echo "service=$PARAM_SERVICE replicas=$PARAM_REPLICAS"
echo "file:$(sed -n 's/.*"service":"\\([^"]*\\)".*/\\1/p' "$SWITCHBOARD_PARAMS")"`,
  python3: `import json, os
print(f"service={os.environ['PARAM_SERVICE']} replicas={os.environ['PARAM_REPLICAS']}")
with open(os.environ["SWITCHBOARD_PARAMS"]) as f:
    print("file:" + json.load(f)["service"])`,
  node: `const fs = require('fs');
console.log(\`service=\${process.env.PARAM_SERVICE} replicas=\${process.env.PARAM_REPLICAS}\`);
console.log('file:' + JSON.parse(fs.readFileSync(process.env.SWITCHBOARD_PARAMS, 'utf8')).service);`,
};

// Every test has its own workspace and processes, so they run side by side to keep the suite fast.
// Each test runs three times: files and processes made by this process, by the python step
// launcher and by the node one.
describe.concurrent.each([
  ['made by the worker', undefined],
  ['made by the python step launcher', pythonLauncher],
  ['made by the node step launcher', nodeLauncher],
] as const)('runShellStep, %s', (_mode, host) => {
  const run = (shell: string, script: string, overrides: Parameters<typeof runWith>[3] = {}) => runWith(host, shell, script, overrides);
  const createWorkspace = (params: Record<string, unknown> = {}) => createWorkspaceOn(params, host);

    // First: these wait for init to reap zombies, so they should not queue behind the quick tests.
    describe('process supervision', () => {
      const options = { timeout: 15_000 };

      it('cancel kills the whole process group', options, async () => {
        const controller = new AbortController();
        const output = new Output();
        const workspace = await createWorkspace();
        const running = runShellStep({
          workspace,
          stepName: 'sleepy',
          shell: 'bash',
          run: 'sleep 100 & sleep 100 & echo "pgid=$$"; sleep 100; wait',
          onLine: output.onLine,
          signal: controller.signal,
          killGraceMs: 2_000,
        });
        const pgid = Number((await output.waitFor(/^pgid=(\d+)$/))[1]);
        expect(liveMembers(pgid).length).toBeGreaterThanOrEqual(3);
        const canceledAt = Date.now();
        controller.abort('operator asked');
        const result = await running;
        expect(Date.now() - canceledAt).toBeLessThan(2_000);
        expect(result).toMatchObject({ outcome: 'canceled', reason: 'canceled: operator asked', signal: 'SIGTERM' });
        expect(output.texts('system')[0]).toBe("[switchboard] canceled: operator asked; sending SIGTERM to the step's processes");
        await expectGroupGone(pgid);
      });

      it('timeout kills the whole process group', options, async () => {
        const output = new Output();
        const { result } = await run('bash', 'sleep 100 & sleep 100 & echo "pgid=$$"; wait', {
          timeoutMs: 300,
          killGraceMs: 2_000,
          onLine: output.onLine,
        });
        expect(result).toMatchObject({ outcome: 'timed_out', reason: 'timed out after 300 ms' });
        expect(result.finishedAt.getTime() - result.startedAt.getTime()).toBeGreaterThanOrEqual(300);
        const pgid = Number((await output.waitFor(/^pgid=(\d+)$/))[1]);
        await expectGroupGone(pgid);
      });

      it('SIGKILLs a step that ignores SIGTERM once the grace period is over', options, async () => {
        const controller = new AbortController();
        const output = new Output();
        const workspace = await createWorkspace();
        const running = runShellStep({
          workspace,
          stepName: 'stubborn',
          shell: 'bash',
          run: `trap 'echo "ignoring TERM"' TERM
(trap '' TERM; echo "child=$BASHPID"; while :; do sleep 0.05; done) &
echo "pgid=$$"
while :; do sleep 0.05; done`,
          onLine: output.onLine,
          signal: controller.signal,
          killGraceMs: 300,
        });
        const pgid = Number((await output.waitFor(/^pgid=(\d+)$/))[1]);
        await output.waitFor(/^child=\d+$/);
        const canceledAt = Date.now();
        controller.abort();
        const result = await running;
        const elapsed = Date.now() - canceledAt;
        expect(result).toMatchObject({ outcome: 'canceled', reason: 'canceled', signal: 'SIGKILL' });
        expect(elapsed).toBeGreaterThanOrEqual(300);
        expect(elapsed).toBeLessThan(300 + 3_000);
        expect(output.texts('stdout')).toContain('ignoring TERM');
        expect(output.texts('system')).toContain(
          '[switchboard] processes still running 300 ms after SIGTERM; sending SIGKILL',
        );
        await expectGroupGone(pgid);
      });

      it('SIGKILLs a child that ignores SIGTERM even when the main process exits on it', options, async () => {
        const output = new Output();
        const { result } = await run(
          'bash',
          `(trap '' TERM; echo "child=$BASHPID"; while :; do sleep 0.05; done) &
echo "pgid=$$"
wait`,
          { timeoutMs: 300, killGraceMs: 300, onLine: output.onLine },
        );
        expect(result.outcome).toBe('timed_out');
        expect(output.texts('system')).toContain('[switchboard] processes still running 300 ms after SIGTERM; sending SIGKILL');
        await expectGroupGone(Number((await output.waitFor(/^pgid=(\d+)$/))[1]));
      });

      it('kills background processes left by a step that exits 0 and returns promptly', options, async () => {
        const output = new Output();
        const startedAt = Date.now();
        const { result } = await run('bash', 'sleep 1000 &\necho "bg=$!"\necho "pgid=$$"\nexit 0', {
          onLine: output.onLine,
        });
        expect(Date.now() - startedAt).toBeLessThan(5_000);
        expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
        expect(output.texts('system')).toEqual(['[switchboard] the step left background processes running; killing them']);
        const background = Number((await output.waitFor(/^bg=(\d+)$/))[1]);
        expect(isAlive(background)).toBe(false);
        await expectGroupGone(Number((await output.waitFor(/^pgid=(\d+)$/))[1]));
      });

      it('reports the exit of a step whose background processes keep writing, and ends them', options, async () => {
        const output = new Output();
        // Two writers that never stop: the exit must not wait for their output to end.
        const { result } = await run('bash', 'yes flood &\nyes flood >&2 &\necho "pgid=$$"\nsleep 0.2\nexit 0', { onLine: output.onLine });
        expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0 });
        expect(output.texts('system')).toContain('[switchboard] the step left background processes running; killing them');
        await expectGroupGone(Number((await output.waitFor(/^pgid=(\d+)$/))[1]));
      });

      it('stops reading output that a process outside the group keeps open', options, async () => {
        const output = new Output();
        let escaped = 0;
        try {
          // Wait until the child has really left the group, or the runner would rightly kill it as an orphan.
          const script = 'setsid sh -c "touch escaped; exec sleep 60" &\necho "escaped=$!"\nuntil [ -e escaped ]; do sleep 0.01; done';
          const { result } = await run('bash', script, {
            drainTimeoutMs: 200,
            onLine: output.onLine,
          });
          escaped = Number((await output.waitFor(/^escaped=(\d+)$/))[1]);
          expect(result.outcome).toBe('succeeded');
          expect(output.texts('system')).toContain(
            "[switchboard] a process outside the step's process group keeps its output open; no longer reading it",
          );
        } finally {
          if (escaped > 0) process.kill(escaped, 'SIGKILL');
        }
      });

      it('leaves a step that finishes in time alone', options, async () => {
        const { result, output } = await run('bash', 'echo quick', { timeoutMs: 5_000, killGraceMs: 100 });
        expect(result.outcome).toBe('succeeded');
        expect(output.texts('system')).toEqual([]);
      });
    });

    it('runs a bash step and reports its stdout and stderr lines', async () => {
      const { result, output } = await run('bash', 'echo out one\necho err one >&2\necho out two\n');
      expect(result).toMatchObject({ outcome: 'succeeded', exitCode: 0, signal: null, outputs: {} });
      expect(result.reason).toBeUndefined();
      expect(output.texts('stdout')).toEqual(['out one', 'out two']);
      expect(output.texts('stderr')).toEqual(['err one']);
      expect(result.finishedAt.getTime()).toBeGreaterThanOrEqual(result.startedAt.getTime());
    });

    it.each(Object.keys(PARAM_CHECKS))('gives a %s step its parameters as PARAM_ variables and $SWITCHBOARD_PARAMS', async (shell) => {
      const { result, output } = await run(shell, PARAM_CHECKS[shell], { params: { service: 'api', replicas: 3 } });
      expect(result.outcome).toBe('succeeded');
      expect(output.texts('stdout')).toEqual(['service=api replicas=3', 'file:api']);
    });

    it('passes a parameter of 100 KB whole (a request to a launcher that arrives in several reads)', async () => {
      const big = 'x'.repeat(100 * 1024);
      const { result, output } = await run('bash', 'echo "${#PARAM_BIG} $(wc -c < "$SWITCHBOARD_PARAMS")"', { params: { big } });
      expect(result.outcome).toBe('succeeded');
      expect(output.texts('stdout')).toEqual([`${big.length} ${JSON.stringify({ big }).length}`]);
    });

    it('runs an interpreter given by absolute path', async () => {
      const { result, output } = await run('/usr/bin/bash', 'echo "bash $BASH_VERSION" | cut -c1-5');
      expect(result.outcome).toBe('succeeded');
      expect(output.texts('stdout')).toEqual(['bash ']);
    });

    it('passes outputs from step to step as STEP_<STEP>_<KEY> variables', async () => {
      const workspace = await createWorkspace({ service: 'api' });
      const restart = await run(
        'bash',
        `echo "restarted_at=2024-01-01T00:00:00Z" >> "$SWITCHBOARD_OUTPUT"
{ echo "notes<<EOF"; echo "line 1"; echo "line 2"; echo "EOF"; } >> "$SWITCHBOARD_OUTPUT"`,
        { workspace, stepName: 'restart' },
      );
      expect(restart.result.outcome).toBe('succeeded');
      expect(restart.result.outputs).toEqual({ restarted_at: '2024-01-01T00:00:00Z', notes: 'line 1\nline 2' });

      const check = await run(
        'python3',
        `import os
print("checking", os.environ["PARAM_SERVICE"], "since", os.environ["STEP_RESTART_RESTARTED_AT"])
print(os.environ["STEP_RESTART_NOTES"].replace("\\n", "|"))
with open(os.environ["SWITCHBOARD_OUTPUT"], "a") as f:
    f.write("health=green\\n")`,
        { workspace, stepName: 'check', previousOutputs: { restart: restart.result.outputs } },
      );
      expect(check.result.outcome).toBe('succeeded');
      expect(check.output.texts('stdout')).toEqual(['checking api since 2024-01-01T00:00:00Z', 'line 1|line 2']);

      const report = await run(
        'node',
        'console.log(process.env.STEP_RESTART_RESTARTED_AT, process.env.STEP_CHECK_HEALTH)',
        {
          workspace,
          stepName: 'report',
          previousOutputs: { restart: restart.result.outputs, check: check.result.outputs },
        },
      );
      expect(report.output.texts('stdout')).toEqual(['2024-01-01T00:00:00Z green']);
    });

    it('gives each step of an execution a fresh, empty outputs file', async () => {
      const workspace = await createWorkspace();
      await run('bash', 'echo "a=1" >> "$SWITCHBOARD_OUTPUT"', { workspace });
      const second = await run('bash', 'echo "b=2" >> "$SWITCHBOARD_OUTPUT"', { workspace });
      expect(second.result.outputs).toEqual({ b: '2' });
    });

    describe('parameter values cannot inject code', () => {
      const marker = `/tmp/pwned-${randomUUID()}`;
      const hostile = `$(touch ${marker}); echo pwned \`touch ${marker}\` "; touch ${marker}; '`;

      it.each([
        ['bash', 'echo "$PARAM_X"\necho $PARAM_X\nprintf "%s\\n" "$STEP_PREV_V"'],
        ['sh', 'echo "$PARAM_X"\necho $PARAM_X\nprintf "%s\\n" "$STEP_PREV_V"'],
        ['python3', 'import os\nprint(os.environ["PARAM_X"])\nprint(os.environ["PARAM_X"])\nprint(os.environ["STEP_PREV_V"])'],
        ['node', 'console.log(process.env.PARAM_X)\nconsole.log(process.env.PARAM_X)\nconsole.log(process.env.STEP_PREV_V)'],
      ])('%s prints the value literally and runs none of it', async (shell, script) => {
        const { result, output } = await run(shell, script, {
          params: { x: hostile },
          previousOutputs: { prev: { v: hostile } },
        });
        expect(result.outcome).toBe('succeeded');
        expect(output.texts('stdout')).toEqual([hostile, hostile.split(/\s+/).join(' '), hostile]);
        expect(existsSync(marker)).toBe(false);
      });

      it('keeps parameter values out of the script file', async () => {
        const { output } = await run('bash', 'cat "$0"; stat -c "%a" "$0"\n', { params: { x: hostile } });
        expect(output.texts('stdout')).toEqual(['cat "$0"; stat -c "%a" "$0"', '600']);
      });
    });

    it("does not let the step see the worker's environment", async () => {
      process.env.SECRET_FROM_WORKER = 'worker-db-password';
      try {
        const { result, output, workspace } = await run(
          'node',
          'console.log(JSON.stringify(Object.keys(process.env).sort())); console.log(process.env.PATH, process.env.LANG)',
          { params: { service: 'api' }, secretEnv: { API_TOKEN: 'from-caller' } },
        );
        expect(result.outcome).toBe('succeeded');
        const [names, pathAndLang] = output.texts('stdout');
        expect(JSON.parse(names)).toEqual(
          [
            'API_TOKEN',
            'HOME',
            'LANG',
            'PARAM_SERVICE',
            'PATH',
            'SWITCHBOARD_EXECUTION_ID',
            'SWITCHBOARD_OUTPUT',
            'SWITCHBOARD_PARAMS',
            'SWITCHBOARD_STEP',
            'TMPDIR',
          ].sort(),
        );
        expect(pathAndLang).toBe(`${DEFAULT_STEP_PATH} C.UTF-8`);

        const bash = await run('bash', 'env', { workspace });
        expect(bash.output.texts('stdout').some((line) => line.includes('SECRET_FROM_WORKER'))).toBe(false);
        expect(bash.output.texts('stdout').some((line) => line.includes('worker-db-password'))).toBe(false);
      } finally {
        delete process.env.SECRET_FROM_WORKER;
      }
    });

    it('runs the step in the workspace with its own HOME and TMPDIR and no stdin', async () => {
      const { result, output, workspace } = await run(
        'bash',
        'pwd; echo "$HOME"; echo "$TMPDIR"; echo "$SWITCHBOARD_EXECUTION_ID $SWITCHBOARD_STEP"; read -r line; echo "read=$?"',
        { stepName: 'where' },
      );
      expect(result.outcome).toBe('succeeded');
      expect(output.texts('stdout')).toEqual([
        workspace.workDir,
        workspace.homeDir,
        workspace.tmpDir,
        `${workspace.executionId} where`,
        'read=1',
      ]);
    });

    it('uses the PATH given by the caller', async () => {
      const { output } = await run('bash', 'echo "$PATH"', { path: '/usr/bin:/bin' });
      expect(output.texts('stdout')).toEqual(['/usr/bin:/bin']);
    });

    it('reports a nonzero exit as failed with the exit code', async () => {
      const { result, output } = await run('bash', 'echo about to fail\nexit 3');
      expect(result).toMatchObject({ outcome: 'failed', exitCode: 3, signal: null, reason: 'exited with code 3' });
      expect(output.texts('stdout')).toEqual(['about to fail']);
    });

    it('reports a step killed by a signal as failed with the signal', async () => {
      const { result } = await run('bash', 'kill -SEGV $$');
      expect(result).toMatchObject({ outcome: 'failed', exitCode: null, signal: 'SIGSEGV', reason: 'killed by SIGSEGV' });
    });

    it('keeps the outputs a failed step wrote', async () => {
      const { result } = await run('bash', 'echo "partial=yes" >> "$SWITCHBOARD_OUTPUT"; exit 1');
      expect(result).toMatchObject({ outcome: 'failed', outputs: { partial: 'yes' } });
    });

    it.each(['python', 'bash -e', './bash', 'bin/bash', 'perl', '', ' bash', '/usr/bin/../bin/bash', '/usr/bin/', '/usr/bin/my shell', '/bin/bash\n'])(
      'rejects the interpreter %j without running anything',
      async (shell) => {
        const workspace = await createWorkspace();
        const attempt = runShellStep({ workspace, stepName: 'bad', shell, run: 'echo hi', onLine: () => undefined });
        await expect(attempt).rejects.toBeInstanceOf(InvalidStepError);
        await expect(attempt).rejects.toMatchObject({ field: 'shell' });
        expect(readdirSync(workspace.dir).includes('steps') && readdirSync(`${workspace.dir}/steps`)).toEqual([]);
      },
    );

    it('fails a step whose absolute interpreter does not exist', async () => {
      const { result, output } = await run('/nonexistent/interpreter', 'echo hi');
      expect(result).toMatchObject({ outcome: 'failed', exitCode: null, reason: 'could not start /nonexistent/interpreter: not found' });
      expect(output.texts('system')).toEqual(['[switchboard] could not start /nonexistent/interpreter: not found']);
    });

    it('makes a planned workspace with the first step, and never takes over a directory that is already there', async () => {
      const planned = ExecutionWorkspace.plan({ executionId: `planned-${randomUUID()}`, params: { n: 1 }, host });
      workspaces.push(planned);
      expect(existsSync(planned.dir)).toBe(false);
      const made = await runShellStep({ workspace: planned, stepName: 'first', shell: 'bash', run: 'cat "$SWITCHBOARD_PARAMS"', onLine: () => undefined });
      expect(made.outcome).toBe('succeeded');
      expect(readFileSync(planned.paramsFile, 'utf8')).toBe('{"n":1}');

      const squatted = ExecutionWorkspace.plan({ executionId: `squatted-${randomUUID()}`, params: {}, host });
      mkdirSync(squatted.dir, { mode: 0o700 });
      writeFileSync(join(squatted.dir, 'theirs'), 'x');
      try {
        const output = new Output();
        const result = await runShellStep({ workspace: squatted, stepName: 'first', shell: 'bash', run: 'echo hi', onLine: output.onLine });
        expect(result).toMatchObject({ outcome: 'failed', exitCode: null });
        expect(result.reason).toMatch(/^could not make the workspace: EEXIST/);
        await squatted.remove();
        expect(readdirSync(squatted.dir)).toEqual(['theirs']);
      } finally {
        rmSync(squatted.dir, { recursive: true, force: true });
      }
    });

    it('says why a workspace could not be made, and makes it with the next step once it can', async () => {
      const base = join(tmpdir(), `missing-base-${randomUUID()}`);
      const workspace = ExecutionWorkspace.plan({ executionId: `later-${randomUUID()}`, params: {}, baseDir: base, host });
      workspaces.push(workspace);
      const output = new Output();
      const first = await runShellStep({ workspace, stepName: 'first', shell: 'bash', run: 'echo hi', onLine: output.onLine });
      expect(first).toMatchObject({ outcome: 'failed', exitCode: null });
      expect(first.reason).toMatch(/^could not make the workspace: ENOENT/);
      mkdirSync(base, { mode: 0o700 });
      try {
        const second = await runShellStep({ workspace, stepName: 'second', shell: 'bash', run: 'echo hi', onLine: output.onLine });
        expect(second.outcome).toBe('succeeded');
        expect(output.texts('stdout')).toEqual(['hi']);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    });

    it('fails a step whose absolute interpreter is not executable', async () => {
      const { result } = await run('/usr', 'echo hi');
      expect(result).toMatchObject({ outcome: 'failed', reason: 'could not start /usr: permission denied' });
    });

    it('does not read another file through an outputs file replaced by a symbolic link', async () => {
      const { result } = await run('bash', 'rm "$SWITCHBOARD_OUTPUT"; ln -s /etc/passwd "$SWITCHBOARD_OUTPUT"');
      expect(result).toMatchObject({
        outcome: 'failed',
        outputs: {},
        reason: 'invalid $SWITCHBOARD_OUTPUT: the outputs file was replaced by a symbolic link',
      });
    });

    it('fails an otherwise successful step whose outputs file is malformed', async () => {
      const { result, output } = await run('bash', 'echo "not an output line" >> "$SWITCHBOARD_OUTPUT"');
      expect(result.outcome).toBe('failed');
      expect(result.exitCode).toBe(0);
      expect(result.reason).toMatch(/^invalid \$SWITCHBOARD_OUTPUT: line 1/);
      expect(output.texts('system')[0]).toMatch(/invalid \$SWITCHBOARD_OUTPUT/);
    });

    it('fails instead of hanging when the step replaced its outputs file with a FIFO', async () => {
      const { result } = await run('bash', 'rm "$SWITCHBOARD_OUTPUT"; mkfifo "$SWITCHBOARD_OUTPUT"');
      expect(result).toMatchObject({ outcome: 'failed', reason: 'invalid $SWITCHBOARD_OUTPUT: the outputs file is not a regular file' });
    });

    it('fails when the outputs exceed their limits', async () => {
      const { result } = await run('bash', 'for i in 1 2 3; do echo "k$i=v" >> "$SWITCHBOARD_OUTPUT"; done', {
        outputLimits: { maxBytes: 1000, maxKeys: 2 },
      });
      expect(result.reason).toMatch(/more than 2 output keys/);
      const large = await run('bash', 'head -c 2000 /dev/zero | tr "\\0" x | sed "s/^/k=/" >> "$SWITCHBOARD_OUTPUT"', {
        outputLimits: { maxBytes: 1000, maxKeys: 2 },
      });
      expect(large.result.reason).toMatch(/more than the limit of 1000/);
    });

    it('reports no outputs when the step deleted its outputs file', async () => {
      const { result } = await run('bash', 'rm "$SWITCHBOARD_OUTPUT"');
      expect(result).toMatchObject({ outcome: 'succeeded', outputs: {} });
    });

    it('splits an over-long line into marked pieces', async () => {
      const { output } = await run('python3', 'print("é" * 20 + "x" * 30)', { maxLineBytes: 16 });
      const pieces = output.lines.filter((line) => line.stream === 'stdout');
      expect(pieces.map((piece) => piece.text).join('')).toBe('é'.repeat(20) + 'x'.repeat(30));
      expect(pieces[0].continued).toBe(false);
      expect(pieces.slice(1).every((piece) => piece.continued)).toBe(true);
      expect(pieces.every((piece) => Buffer.byteLength(piece.text) <= 16)).toBe(true);
    });

    it('streams 5 MB of output through, every line in order', async () => {
      const lineCount = 100_000;
      let received = 0;
      let isInOrder = true;
      const workspace = await createWorkspace();
      const result = await runShellStep({
        workspace,
        stepName: 'flood',
        shell: 'node',
        run: `const pad = 'x'.repeat(38);
for (let i = 0; i < ${lineCount}; i += 1000) {
  let chunk = '';
  for (let j = i; j < i + 1000; j++) chunk += 'line ' + String(j).padStart(6, '0') + ' ' + pad + '\\n';
  process.stdout.write(chunk);
}`,
        // Count instead of collecting: the test itself must not hold 5 MB either.
        onLine: (line) => {
          if (line.stream !== 'stdout') return;
          if (!line.text.startsWith(`line ${String(received).padStart(6, '0')} `) || line.text.length !== 50) isInOrder = false;
          received += 1;
        },
      });
      expect(result.outcome).toBe('succeeded');
      expect(received).toBe(lineCount);
      expect(isInOrder).toBe(true);
    });

    it('stops storing output at the execution budget with one visible marker, across steps', async () => {
      const workspace = await createWorkspace();
      const budget = new OutputBudget(1000);
      const first = await run('bash', 'for i in $(seq 1 200); do echo 1234567890; done', { workspace, outputBudget: budget });
      expect(first.result.outcome).toBe('succeeded');
      expect(first.output.texts('stdout')).toHaveLength(100);
      expect(first.output.texts('system')).toEqual(['[switchboard] output truncated: limit of 1000 bytes reached']);
      expect(first.output.lines.at(-1)?.stream).toBe('system');

      const second = await run('bash', 'echo more; echo more >&2', { workspace, outputBudget: budget });
      expect(second.output.lines).toEqual([]);
      expect(budget).toMatchObject({ storedBytes: 1000, storedLines: 100, droppedLines: 102, droppedBytes: 1008 });
    });

    it('reports a step canceled before it started without running it', async () => {
      const workspace = await createWorkspace();
      const controller = new AbortController();
      controller.abort('superseded');
      const { result, output } = await run('bash', 'echo "ran" > ran.txt', { workspace, signal: controller.signal });
      expect(result).toMatchObject({ outcome: 'canceled', reason: 'canceled: superseded', exitCode: null });
      expect(output.lines).toEqual([]);
      expect(existsSync(`${workspace.workDir}/ran.txt`)).toBe(false);
    });

    it('reports the pid, which is the process group of the step', async () => {
      let started: number | undefined;
      const { output } = await run('bash', 'echo "pgid=$(ps -o pgid= -p $$ | tr -d " ")"', {
        onStart: ({ pid }) => {
          started = pid;
        },
      });
      expect(output.texts('stdout')).toEqual([`pgid=${started}`]);
    });

    it('rejects with the error thrown by onStart, after killing the step', async () => {
      const workspace = await createWorkspace();
      const failure = new Error('could not record pid');
      let pgid = 0;
      const attempt = runShellStep({
        workspace,
        stepName: 'step',
        shell: 'bash',
        run: 'sleep 100 & sleep 100',
        onStart: ({ pid }) => {
          pgid = pid;
          throw failure;
        },
        onLine: () => undefined,
      });
      await expect(attempt).rejects.toBe(failure);
      await waitUntil(() => liveMembers(pgid).length === 0, 2_000, 'the step to be killed');
    });

    it('rejects with the error thrown by onLine, after killing the step', async () => {
      const workspace = await createWorkspace();
      const failure = new Error('log store down');
      let pgid = 0;
      const attempt = runShellStep({
        workspace,
        stepName: 'step',
        shell: 'bash',
        run: 'echo first; sleep 100 & sleep 100',
        onStart: ({ pid }) => {
          pgid = pid;
        },
        onLine: () => {
          throw failure;
        },
      });
      await expect(attempt).rejects.toBe(failure);
      expect(liveMembers(pgid)).toEqual([]);
    });
});
