import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
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
  /**
   * Each process-tree component split three ways (CPU ms): `process`, its root itself; `helpers`,
   * direct children alive from start to stop (the worker's step launcher, PostgreSQL's backends);
   * `children`, all the rest: processes started and ended in the window and those they started
   * (the steps). The three add up to the component's byComponent figure (children is never below 0).
   */
  parts: Record<string, { process: number; helpers: number; children: number }>;
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

/** One process's parent and CPU clock ticks from /proc/<pid>/stat; throws if it is gone. */
export function processTicks(pid: number): ProcEntry {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // "pid (comm) state ppid …": comm may contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(fields[1]),
    selfTicks: Number(fields[11]) + Number(fields[12]),
    reapedTicks: Number(fields[13]) + Number(fields[14]),
  };
}

function readProcTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      table.set(Number(name), processTicks(Number(name)));
    } catch {
      // exited while we looked
    }
  }
  return table;
}

/** The ticks of one component's tree, and of its root and of each direct child on their own. */
interface TreeSnapshot {
  total: number;
  root: number;
  childSelf: Map<number, number>;
}

function snapshotTree(root: number, table: Map<number, ProcEntry>): TreeSnapshot {
  const childSelf = new Map<number, number>();
  for (const [pid, entry] of table) if (entry.ppid === root) childSelf.set(pid, entry.selfTicks);
  return { total: treeTicks(root, table), root: table.get(root)?.selfTicks ?? 0, childSelf };
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
  private startTrees = new Map<string, TreeSnapshot>();
  private startSelf = process.cpuUsage();
  private startMachine = machineTicks();
  private startedAt = 0;

  /** Components by name: a root pid (whole tree), or 'self' for this process without children. */
  constructor(private readonly components: Record<string, number | 'self'>) {}

  start(): void {
    const table = readProcTable();
    for (const [name, pid] of Object.entries(this.components)) {
      if (pid !== 'self') this.startTrees.set(name, snapshotTree(pid, table));
    }
    this.startSelf = process.cpuUsage();
    this.startMachine = machineTicks();
    this.startedAt = performance.now();
  }

  stop(): CpuReading {
    const table = readProcTable();
    const msPerTick = 1000 / clockTicks();
    const byComponent: Record<string, number> = {};
    const parts: CpuReading['parts'] = {};
    for (const [name, pid] of Object.entries(this.components)) {
      if (pid === 'self') {
        const used = process.cpuUsage(this.startSelf);
        byComponent[name] = (used.user + used.system) / 1000;
        continue;
      }
      const before = this.startTrees.get(name) ?? { total: 0, root: 0, childSelf: new Map<number, number>() };
      const now = snapshotTree(pid, table);
      let helperTicks = 0;
      for (const [child, ticks] of now.childSelf) {
        const then = before.childSelf.get(child);
        if (then !== undefined) helperTicks += ticks - then;
      }
      const total = (now.total - before.total) * msPerTick;
      const own = (now.root - before.root) * msPerTick;
      const helpers = helperTicks * msPerTick;
      byComponent[name] = total;
      parts[name] = { process: own, helpers, children: Math.max(0, total - own - helpers) };
    }
    const machine = machineTicks();
    const total = machine.total - this.startMachine.total;
    const busy = machine.busy - this.startMachine.busy;
    const accounted = Object.values(byComponent).reduce((a, b) => a + b, 0);
    byComponent.other = Math.max(0, busy * msPerTick - accounted);
    return { byComponent, parts, machineBusy: total > 0 ? busy / total : 0, wallMs: performance.now() - this.startedAt };
  }
}
