import { afterEach, describe, expect, it, vi } from 'vitest';
import { INVALIDATE_ALL as EVERYONE, InvalidatedCache, type InvalidationSource } from './invalidated-cache';

/** Stands in for the Redis channel: `send` is a message arriving from any api process. */
class FakeChannel implements InvalidationSource {
  isListening = true;
  private readonly listeners: Array<(userId: string) => void> = [];
  onInvalidate(listener: (userId: string) => void): void {
    this.listeners.push(listener);
  }
  send(userId: string): void {
    for (const listener of this.listeners) listener(userId);
  }
}

interface Token {
  owner: string;
  version: number;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tokenCache = (channel: FakeChannel, ttlMs = 5_000): InvalidatedCache<Token | null> =>
  new InvalidatedCache<Token | null>(channel, { ttlMs, tagOf: (_key, token) => token?.owner ?? null });

describe('InvalidatedCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves a kept value without a second lookup until its TTL ends', async () => {
    vi.useFakeTimers();
    const cache = tokenCache(new FakeChannel());
    const load = vi.fn(async () => ({ owner: 'u1', version: load.mock.calls.length }));
    expect(await cache.get('t1', load)).toEqual({ owner: 'u1', version: 1 });
    expect(await cache.get('t1', load)).toEqual({ owner: 'u1', version: 1 });
    expect(load).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5_001);
    expect(await cache.get('t1', load)).toEqual({ owner: 'u1', version: 2 });
  });

  it('drops every entry of a user named by an invalidation, and only theirs', async () => {
    const channel = new FakeChannel();
    const cache = tokenCache(channel);
    await cache.get('a1', async () => ({ owner: 'alice', version: 1 }));
    await cache.get('a2', async () => ({ owner: 'alice', version: 1 }));
    await cache.get('b1', async () => ({ owner: 'bob', version: 1 }));
    channel.send('alice');
    expect(await cache.get('a1', async () => null)).toBeNull();
    expect(await cache.get('a2', async () => null)).toBeNull();
    expect(await cache.get('b1', async () => null)).toEqual({ owner: 'bob', version: 1 });
  });

  it('drops everything when everyone is named', async () => {
    const channel = new FakeChannel();
    const cache = tokenCache(channel);
    await cache.get('b1', async () => ({ owner: 'bob', version: 1 }));
    channel.send(EVERYONE);
    expect(await cache.get('b1', async () => null)).toBeNull();
  });

  it('keeps nothing a lookup found unusable (unknown or revoked token)', async () => {
    const cache = tokenCache(new FakeChannel());
    const load = vi.fn(async () => null);
    await cache.get('t1', load);
    await cache.get('t1', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not keep a value read before an invalidation that arrived while it was read', async () => {
    const channel = new FakeChannel();
    const cache = tokenCache(channel);
    const slow = deferred<Token>();
    const before = cache.get('t1', () => slow.promise);
    channel.send('alice'); // the token was revoked while its row was being read
    slow.resolve({ owner: 'alice', version: 1 });
    expect(await before).toEqual({ owner: 'alice', version: 1 });
    expect(await cache.get('t1', async () => null)).toBeNull();
  });

  it('shares one lookup between concurrent misses, but not across an invalidation', async () => {
    const channel = new FakeChannel();
    const cache = tokenCache(channel);
    const first = deferred<Token>();
    const load = vi.fn(() => first.promise);
    const a = cache.get('t1', load);
    const b = cache.get('t1', load);
    expect(load).toHaveBeenCalledTimes(1);
    channel.send('alice');
    const c = cache.get('t1', async () => null);
    first.resolve({ owner: 'alice', version: 1 });
    expect(await a).toEqual({ owner: 'alice', version: 1 });
    expect(await b).toEqual({ owner: 'alice', version: 1 });
    expect(await c).toBeNull();
  });

  it('serves nothing while invalidations cannot be heard, and keeps nothing read meanwhile', async () => {
    const channel = new FakeChannel();
    const cache = tokenCache(channel);
    await cache.get('t1', async () => ({ owner: 'alice', version: 1 }));
    channel.isListening = false;
    const load = vi.fn(async () => ({ owner: 'alice', version: 2 }));
    expect(await cache.get('t1', load)).toEqual({ owner: 'alice', version: 2 });
    expect(await cache.get('t1', load)).toEqual({ owner: 'alice', version: 2 });
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(1); // the old entry; AccessInvalidation names everyone once it hears again
  });

  it('stays within its size, evicting expired entries first, then the oldest', async () => {
    vi.useFakeTimers();
    const cache = new InvalidatedCache<Token>(new FakeChannel(), { ttlMs: 1_000, tagOf: (_key, token) => token.owner, maxEntries: 3 });
    await cache.get('old', async () => ({ owner: 'u', version: 1 }));
    vi.advanceTimersByTime(1_001);
    await cache.get('k1', async () => ({ owner: 'u', version: 1 }));
    await cache.get('k2', async () => ({ owner: 'u', version: 1 }));
    await cache.get('k3', async () => ({ owner: 'u', version: 1 }));
    expect(cache.size).toBe(3);
    await cache.get('k4', async () => ({ owner: 'u', version: 1 }));
    expect(cache.size).toBe(3);
    const reload = vi.fn(async () => ({ owner: 'u', version: 2 }));
    await cache.get('k4', reload);
    expect(reload).not.toHaveBeenCalled();
    await cache.get('k1', reload);
    expect(reload).toHaveBeenCalledTimes(1); // k1 was the oldest live entry when k4 came in
  });
});
