/**
 * `node -r @swc-node/register bench/spawn-cost.ts`: what one spawn() of a step costs, from a
 * process as large as the worker and from a small one, and through the python and node step
 * launchers (libs/runner/src/step-launcher.ts). Each case runs in a fresh plain-JavaScript node process
 * (the runner compiled with swc, as `npm run bench` does) that starts SPAWN_COST_RUNS steps of
 * `true` one after the other, each with piped stdout and stderr, in its own process group, and
 * waits for its exit and the end of its output: the worker's pattern.
 *
 * The last two cases start a bash script, as a bash step does, without and with warm shells.
 *
 *   SPAWN_COST_RUNS (1000)        spawns per case
 *   SPAWN_COST_BALLAST_MB (100)   memory the "large" process holds on top of node's own
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
  // mode: direct | launcher-<program>[+bash[+warm]]: '+bash' runs a bash script of ':' instead of
  // true, with the environment a step has; '+warm' keeps two warm shells for it.
  const [launched, what, warm] = mode.split('+');
  const spawner = launched.startsWith('launcher-')
    ? new StepLauncher({ program: launched.slice('launcher-'.length), warmShells: warm ? 2 : 0 })
    : localStepHost;
  let request = { command: 'true', args: [], cwd: '/', env: { PATH: process.env.PATH } };
  if (what === 'bash') {
    const script = require('node:path').join(scriptDir, 'step.sh');
    require('node:fs').writeFileSync(script, ':\\n');
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
      ['python launcher, bash script, warm shells', 'launcher-python3+bash+warm', ballastMb],
    ];
    process.stdout.write(`spawn of \`true\` with piped output, ${runs} times per case; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
    process.stdout.write(`${'case'.padEnd(44)}  ${'RSS MB'.padStart(6)}  ${'wall p50 ms'.padStart(11)}  ${'wall mean'.padStart(9)}  ${'caller CPU ms'.padStart(13)}  ${'all CPU ms'.padStart(10)}\n`);
    for (const [label, mode, ballast] of cases) {
      const output = execFileSync(process.execPath, ['-e', probe, runner, mode, String(ballast), String(runs), outDir], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const r = JSON.parse(output) as { rssMb: number; wallP50: number; wallMean: number; callerCpu: number; treeCpu: number };
      process.stdout.write(`${label.padEnd(44)}  ${String(r.rssMb).padStart(6)}  ${r.wallP50.toFixed(2).padStart(11)}  ${r.wallMean.toFixed(2).padStart(9)}  ${r.callerCpu.toFixed(2).padStart(13)}  ${r.treeCpu.toFixed(2).padStart(10)}\n`);
    }
    process.stdout.write('\ncaller CPU: the measuring process itself; all CPU: it, the launcher and the steps (`true`, or bash), per spawn.\n');
    process.stdout.write('Warm shells: the next shell starts while the measuring process waits for nothing, so its start is in "all CPU" and not in the wall time.\n');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`spawn-cost failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
