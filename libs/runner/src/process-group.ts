import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 100;

/**
 * The process group a step runs in (the step's interpreter is spawned detached, so its pid is the
 * group id). Signalling the group reaches every process the step started, background ones included.
 */
export class ProcessGroup {
  constructor(readonly pgid: number) {
    if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`not a process group id: ${pgid}`);
  }

  /** Returns false when no process of the group is left to receive it. */
  signal(signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.pgid, signal);
      return true;
    } catch (error: unknown) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') return false;
      // Only members we may not signal are left (a setuid program such as sudo): the group exists.
      if (code === 'EPERM') return true;
      throw error;
    }
  }

  /**
   * Whether any process of the group is still running. Zombies do not count: once the leader
   * is gone its children are reparented to init, which may take seconds to reap them, and a
   * zombie neither runs nor holds the step's pipes.
   */
  async hasLiveMembers(): Promise<boolean> {
    if (!this.signal(0)) return false;
    const members = await this.listMembersFromProc();
    return members === undefined || members.some((member) => member.isLive);
  }

  /** Polls until the group has no live member; false if it still has one after `timeoutMs`. */
  async waitUntilGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let pollMs = FIRST_POLL_MS;
    for (;;) {
      if (!(await this.hasLiveMembers())) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await delay(Math.min(pollMs, remaining));
      pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
    }
  }

  /** Undefined where there is no Linux-style /proc; callers then fall back to kill(0). */
  private async listMembersFromProc(): Promise<{ pid: number; isLive: boolean }[] | undefined> {
    let entries: string[];
    try {
      entries = await readdir('/proc');
    } catch {
      return undefined;
    }
    const stats = await Promise.all(
      entries.filter((entry) => /^\d+$/.test(entry)).map((pid) => readFile(`/proc/${pid}/stat`, 'latin1').catch(() => '')),
    );
    const members: { pid: number; isLive: boolean }[] = [];
    for (const stat of stats) {
      // Format: "pid (comm) state ppid pgrp …"; comm may itself contain spaces and parentheses.
      const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(afterComm[2]) !== this.pgid) continue;
      const state = afterComm[0];
      members.push({ pid: Number.parseInt(stat, 10), isLive: state !== 'Z' && state !== 'X' });
    }
    return members;
  }
}
