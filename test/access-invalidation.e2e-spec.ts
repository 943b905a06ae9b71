import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessInvalidation } from '@switchboard/access';
import { ACCESS_INVALIDATION_CHANNEL, createRedisConnection } from '@switchboard/core';
import { testConfig } from './support/test-env';
import { waitFor } from './support/test-worker';

const connections: Redis[] = [];
const instances: AccessInvalidation[] = [];

afterAll(() => {
  for (const instance of instances) instance.onModuleDestroy();
  for (const connection of connections) connection.disconnect();
});

function connection(): Redis {
  const redis = createRedisConnection(testConfig().REDIS_URL);
  connections.push(redis);
  return redis;
}

/** One api process's AccessInvalidation (its own Redis connections), listening. */
async function apiProcess(): Promise<{ invalidation: AccessInvalidation; heard: string[] }> {
  const invalidation = new AccessInvalidation(connection(), testConfig());
  instances.push(invalidation);
  invalidation.onModuleInit();
  const heard: string[] = [];
  invalidation.onInvalidate((userId) => heard.push(userId));
  await waitFor(async () => invalidation.isListening, 'the invalidation subscription');
  return { invalidation, heard };
}

describe('access invalidation across api processes', () => {
  it('returns only once every other process has dropped the user', async () => {
    const [a, b, c] = await Promise.all([apiProcess(), apiProcess(), apiProcess()]);
    const userId = randomUUID();
    await a.invalidation.invalidate(userId);
    for (const process of [a, b, c]) expect(process.heard).toContain(userId);
  });

  it('stops waiting after a second for a process that never confirms', async () => {
    const a = await apiProcess();
    // Subscribed like an api process, but never answering (a process that stopped reading).
    // It is gone right after: other test files share this Redis, and their invalidations would wait for it too.
    const mute = createRedisConnection(testConfig().REDIS_URL);
    try {
      await mute.subscribe(ACCESS_INVALIDATION_CHANNEL);
      const startedAt = Date.now();
      await a.invalidation.invalidate(randomUUID());
      const waited = Date.now() - startedAt;
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(waited).toBeLessThan(5_000);
    } finally {
      mute.disconnect();
    }
  });
});
