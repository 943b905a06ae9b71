/**
 * `node -r @swc-node/register bench/spawn-cost.ts`: what one spawn() of a step costs, from a
 * process as large as the worker and from a small one, and through the python and node step
 * launchers (libs/runner/src/step-launcher.ts). Each case runs in a fresh plain-JavaScript node process
 * (the runner compiled with swc, as `npm run bench` does) that starts SPAWN_COST_RUNS steps of
 * `true` one after the other, each with piped stdout and stderr, in its own process group, and
 * waits for its exit and the end of its output: the worker's pattern.
 *
 * The last three cases start a bash script, as a bash step does, without warm shells, with warm
 * shells started one by one, and with warm shells forked by the launcher's shell server.
 * A second table gives the floor under all of them on this machine: what starting a process costs
 * its CPU, measured from python3 (the launcher's language) with nothing else around it.
 *
 *   SPAWN_COST_RUNS (1000)        spawns per case
 *   SPAWN_COST_BALLAST_MB (100)   memory the "large" process holds on top of node's own
 *   SPAWN_COST_FLOOR (1)          0: leave out the floor table
 *   SPAWN_COST_WARM (2)           warm shells in the '+warm' cases (forked ones come in batches of half)
 *   SPAWN_COST_CASES              comma-separated modes to run, in that order (repeats allowed), e.g.
 *                                 `launcher-python3+bash,launcher-python3+bash+warm` twice to alternate
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApps } from './app-build';
import { REPO_ROOT } from './app-runtime';

const runs = Number(process.env.SPAWN_COST_RUNS ?? 1000);
const ballastMb = Number(process.env.SPAWN_COST_BALLAST_MB ?? 100);

/** Runs in the measured process: plain JavaScript, argv = [runner module, mode, ballast MB, runs]. */
const probe = `
const [runnerPath, mode, ballastArg, runsArg, scriptDir] = process.argv.slice(1);
const { localStepHost, StepLauncher } = require(runnerPath);
const ballast = [];
for (let i = 0; i < Number(ballastArg); i++) ballast.push(Buffer.alloc(2 ** 20, 1));
const { readFileSync } = require('node:fs');
const ticks = () => {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { self: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
};
const rssMb = () => Math.round(Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024);
(async () => {
  // mode: direct | launcher-<program>[+bash[+warm[+start]]]: '+bash' runs a bash script of ':'
  // instead of true, with the environment a step has; '+warm' keeps SPAWN_COST_WARM (2) warm shells
  // for it, forked by the launcher's shell server, or with '+start' each started anew.
  const [launched, what, warm, by] = mode.split('+');
  const spawner = launched.startsWith('launcher-')
    ? new StepLauncher({ program: launched.slice('launcher-'.length), warmShells: warm ? Number(process.env.SPAWN_COST_WARM ?? 2) : 0, warmShellsBy: by === 'start' ? 'start' : 'fork' })
    : localStepHost;
  let request = { command: 'true', args: [], cwd: '/', env: { PATH: process.env.PATH } };
  if (what === 'bash') {
    const script = require('node:path').join(scriptDir, 'step.sh');
    // Executable, as the launcher makes a bash step's script when it forks its shells (they execute it).
    require('node:fs').writeFileSync(script, ':\\n', { mode: 0o700 });
    const env = { PATH: process.env.PATH, HOME: scriptDir, LANG: 'C.UTF-8', TMPDIR: scriptDir, SWITCHBOARD_STEP: 'step' };
    request = { command: 'bash', args: [script], cwd: scriptDir, env, warm: Boolean(warm) };
  }
  const once = async () => {
    const t0 = performance.now();
    const handle = spawner.spawn(request, () => undefined);
    const started = await handle.started;
    if ('error' in started) throw started.error;
    await Promise.all([handle.exited, handle.outputClosed]);
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i++) await once();
  const before = ticks();
  const cpu = process.cpuUsage();
  const walls = [];
  for (let i = 0; i < Number(runsArg); i++) walls.push(await once());
  const own = process.cpuUsage(cpu);
  const rss = rssMb();
  if (launched.startsWith('launcher-')) await spawner.close();
  const after = ticks();
  walls.sort((a, b) => a - b);
  const n = walls.length;
  const hz = 100;
  process.stdout.write(JSON.stringify({
    rssMb: rss,
    wallP50: walls[Math.floor(n / 2)], wallMean: walls.reduce((a, b) => a + b, 0) / n,
    callerCpu: (own.user + own.system) / 1000 / n,
    treeCpu: ((after.self - before.self) + (after.reaped - before.reaped)) * (1000 / hz) / n,
  }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

/**
 * The floor, in python3 (argv: runs, scratch dir): CPU per process start of the started processes
 * (getrusage of reaped children) and wall time. The last two rows start no new program: a running
 * bash forks, and the child either runs a sourced script as a subshell or, for a file without a
 * `#!` line, has its exec refused (ENOEXEC) and re-initializes itself as a fresh shell for it:
 * a new `$$`, only the exported environment, no dynamic loader.
 */
const floorProbe = String.raw`
import os, sys, time, resource, json
runs, scratch = int(sys.argv[1]), sys.argv[2]
stub = os.path.join(scratch, 'floor-stub')
with open(stub, 'w') as f:
    f.write(':\n')
os.chmod(stub, 0o700)
bash = next(p for p in ('/usr/bin/bash', '/bin/bash') if os.path.exists(p))
true = next(p for p in ('/usr/bin/true', '/bin/true') if os.path.exists(p))
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
def spawned(path, argv, env):
    c, t = cpu(), time.perf_counter()
    for _ in range(runs):
        os.waitpid(os.posix_spawn(path, argv, env), 0)
    return (cpu() - c) / runs * 1000, (time.perf_counter() - t) / runs * 1000
def in_bash(loop_body, env):
    # One bash runs the loop: its own start is measured apart and taken off.
    start_cpu, start_wall = spawned(bash, [bash, '-c', ':'], env)
    c, t = cpu(), time.perf_counter()
    os.waitpid(os.posix_spawn(bash, [bash, '-c', 'for ((i = 0; i < ' + str(runs) + '; i++)); do ' + loop_body + '; done'], env), 0)
    return ((cpu() - c) * 1000 - start_cpu) / runs, ((time.perf_counter() - t) * 1000 - start_wall) / runs
path = os.environ.get('PATH', '/usr/bin:/bin')
plain, utf8 = {'PATH': path}, {'PATH': path, 'LANG': 'C.UTF-8'}
rows = [
    ['posix_spawn true', spawned(true, ['true'], plain)],
    ['posix_spawn bash -c true', spawned(bash, [bash, '-c', 'true'], plain)],
    ['posix_spawn bash -c true, LANG=C.UTF-8', spawned(bash, [bash, '-c', 'true'], utf8)],
    ['posix_spawn bash <script>, LANG=C.UTF-8', spawned(bash, [bash, stub], utf8)],
    ['bash forks a subshell: ( . <script> )', in_bash('( . ' + stub + ' )', utf8)],
    ['bash forks, ENOEXEC: <script without #!>', in_bash(stub, utf8)],
]
print(json.dumps([[label, round(c, 3), round(w, 3)] for label, (c, w) in rows]))
`;

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), 'spawn-cost-'));
  try {
    await buildApps(REPO_ROOT, outDir);
    const runner = join(outDir, 'libs/runner/src/index.js');
    const env = { ...process.env, NODE_PATH: join(REPO_ROOT, 'node_modules') };
    const cases: Array<[string, string, number]> = [
      ['small process, spawn()', 'direct', 0],
      [`large process (+${ballastMb} MB), spawn()`, 'direct', ballastMb],
      [`large process (+${ballastMb} MB), python launcher`, 'launcher-python3', ballastMb],
      [`large process (+${ballastMb} MB), node launcher`, 'launcher-node', ballastMb],
      ['python launcher, bash script', 'launcher-python3+bash', ballastMb],
      ['python launcher, bash script, started warm shells', 'launcher-python3+bash+warm+start', ballastMb],
      ['python launcher, bash script, forked warm shells', 'launcher-python3+bash+warm', ballastMb],
    ];
    const chosen = (process.env.SPAWN_COST_CASES ?? '').split(',').map((m) => m.trim()).filter(Boolean);
    const selected = chosen.length === 0 ? cases : chosen.map((mode) => {
      const known = cases.find(([, m]) => m === mode);
      if (!known) throw new Error(`SPAWN_COST_CASES: unknown mode ${mode} (known: ${cases.map(([, m]) => m).join(', ')})`);
      return known;
    });
    process.stdout.write(`spawn of \`true\` with piped output, ${runs} times per case; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
    process.stdout.write(`${'case'.padEnd(44)}  ${'RSS MB'.padStart(6)}  ${'wall p50 ms'.padStart(11)}  ${'wall mean'.padStart(9)}  ${'caller CPU ms'.padStart(13)}  ${'all CPU ms'.padStart(10)}\n`);
    for (const [label, mode, ballast] of selected) {
      const output = execFileSync(process.execPath, ['-e', probe, runner, mode, String(ballast), String(runs), outDir], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const r = JSON.parse(output) as { rssMb: number; wallP50: number; wallMean: number; callerCpu: number; treeCpu: number };
      process.stdout.write(`${label.padEnd(44)}  ${String(r.rssMb).padStart(6)}  ${r.wallP50.toFixed(2).padStart(11)}  ${r.wallMean.toFixed(2).padStart(9)}  ${r.callerCpu.toFixed(2).padStart(13)}  ${r.treeCpu.toFixed(2).padStart(10)}\n`);
    }
    process.stdout.write('\ncaller CPU: the measuring process itself; all CPU: it, the launcher and the steps (`true`, or bash), per spawn.\n');
    process.stdout.write('Warm shells: the next shell starts while the measuring process waits for nothing, so its start is in "all CPU" and not in the wall time.\n');
    if (process.env.SPAWN_COST_FLOOR !== '0') writeFloor(outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** The process-start floor table (floorProbe), if python3 is there. */
function writeFloor(scratch: string): void {
  let output: string;
  try {
    output = execFileSync('python3', ['-I', '-S', '-c', floorProbe, String(runs), scratch], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (error) {
    process.stdout.write(`\nprocess start floor: not measured (${error instanceof Error ? error.message : String(error)})\n`);
    return;
  }
  const rows = JSON.parse(output) as Array<[string, number, number]>;
  process.stdout.write(`\nprocess start floor, ${runs} starts each from python3 (CPU of the started processes only)\n\n`);
  process.stdout.write(`${'start'.padEnd(44)}  ${'CPU ms'.padStart(6)}  ${'wall ms'.padStart(7)}\n`);
  for (const [label, cpu, wall] of rows) process.stdout.write(`${label.padEnd(44)}  ${cpu.toFixed(2).padStart(6)}  ${wall.toFixed(2).padStart(7)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`spawn-cost failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
