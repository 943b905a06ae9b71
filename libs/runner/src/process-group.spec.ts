import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProcessGroup } from './process-group';

function spawnGroup(script: string): ProcessGroup {
  const child = spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return new ProcessGroup(child.pid as number);
}

describe('ProcessGroup', () => {
  it('refuses ids that would make kill() reach far more than one group', () => {
    // kill(-1) signals every process we may signal; kill(-0) our own group.
    expect(() => new ProcessGroup(1)).toThrow(RangeError);
    expect(() => new ProcessGroup(0)).toThrow(RangeError);
    expect(() => new ProcessGroup(-5)).toThrow(RangeError);
  });

  it('sees a running group and waits in vain while it runs', async () => {
    const group = spawnGroup('sleep 100 & sleep 100');
    try {
      expect(await group.hasLiveMembers()).toBe(true);
      expect(await group.waitUntilGone(50)).toBe(false);
    } finally {
      group.signal('SIGKILL');
    }
  });

  it('counts a group whose processes are all dead as gone, even before their zombies are reaped', async () => {
    const group = spawnGroup('sleep 100 & sleep 100 & wait');
    expect(await group.hasLiveMembers()).toBe(true);
    expect(group.signal('SIGKILL')).toBe(true);
    expect(await group.waitUntilGone(2_000)).toBe(true);
    expect(await group.hasLiveMembers()).toBe(false);
  });

  it('reports that a signal reached nobody once the group is gone', async () => {
    const group = spawnGroup('exit 0');
    await expect.poll(() => group.signal(0), { timeout: 5_000 }).toBe(false);
    expect(group.signal('SIGTERM')).toBe(false);
    expect(await group.hasLiveMembers()).toBe(false);
  });
});
