import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

interface ProcEntry {
  ppid: number;
  /** utime + stime of the process itself. */
  selfTicks: number;
  /** cutime + cstime: children it has reaped (exited backends, finished steps). */
  reapedTicks: number;
}

export interface CpuReading {
  /**
   * CPU milliseconds per component (its process, every live descendant and every reaped child),
   * plus `other`: busy time of the machine not spent in any component (kernel threads, and
   * processes that are not part of the benchmark — a noise indicator on a shared machine).
   */
  byComponent: Record<string, number>;
  /** Busy share of all cores over the window, 0–1 (from /proc/stat). */
  machineBusy: number;
  wallMs: number;
}

let ticksPerSecond: number | undefined;
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function readProcTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid …": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.set(Number(name), {
      ppid: Number(fields[1]),
      selfTicks: Number(fields[11]) + Number(fields[12]),
      reapedTicks: Number(fields[13]) + Number(fields[14]),
    });
  }
  return table;
}

function treeTicks(root: number, table: Map<number, ProcEntry>): number {
  const children = new Map<number, number[]>();
  for (const [pid, entry] of table) {
    const list = children.get(entry.ppid) ?? [];
    list.push(pid);
    children.set(entry.ppid, list);
  }
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const entry = table.get(pid);
    if (!entry) continue;
    total += entry.selfTicks + entry.reapedTicks;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

function machineTicks(): { busy: number; total: number } {
  const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = values[3] + values[4];
  return { busy: total - idle, total };
}

/**
 * CPU time per component over a window, from /proc: where the two cores went while the
 * benchmark ran (api, worker and its steps, PostgreSQL, Redis, the benchmark's own client).
 */
export class CpuMeter {
  private startTicks = new Map<string, number>();
  private startSelf = process.cpuUsage();
  private startMachine = machineTicks();
  private startedAt = 0;

  /** Components by name: a root pid (whole tree), or 'self' for this process without children. */
  constructor(private readonly components: Record<string, number | 'self'>) {}

  start(): void {
    const table = readProcTable();
    for (const [name, pid] of Object.entries(this.components)) {
      if (pid !== 'self') this.startTicks.set(name, treeTicks(pid, table));
    }
    this.startSelf = process.cpuUsage();
    this.startMachine = machineTicks();
    this.startedAt = performance.now();
  }

  stop(): CpuReading {
    const table = readProcTable();
    const msPerTick = 1000 / clockTicks();
    const byComponent: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.components)) {
      if (pid === 'self') {
        const used = process.cpuUsage(this.startSelf);
        byComponent[name] = (used.user + used.system) / 1000;
      } else {
        byComponent[name] = (treeTicks(pid, table) - (this.startTicks.get(name) ?? 0)) * msPerTick;
      }
    }
    const machine = machineTicks();
    const total = machine.total - this.startMachine.total;
    const busy = machine.busy - this.startMachine.busy;
    const accounted = Object.values(byComponent).reduce((a, b) => a + b, 0);
    byComponent.other = Math.max(0, busy * msPerTick - accounted);
    return { byComponent, machineBusy: total > 0 ? busy / total : 0, wallMs: performance.now() - this.startedAt };
  }
}
