import { EVERYONE, type InvalidationSource } from './access-invalidation';

export interface AccessCacheOptions<V> {
  ttlMs: number;
  /** The user whose access a value derives from (its entry is dropped when they are named); null: do not keep it. */
  ownerOf: (key: string, value: V) => string | null;
  maxEntries?: number;
}

interface Entry<V> {
  value: V;
  owner: string;
  expiresAt: number;
}

/**
 * A per-process cache of something derived from one user's access: their grants, a bearer token of
 * theirs. An entry lives until its TTL ends or until an invalidation names its user (or everyone),
 * in this process or any other. While invalidations cannot be heard, nothing is served from it.
 * Concurrent misses of one key share one lookup; a lookup that raced an invalidation is not kept
 * (a generation counter), so a change is never hidden behind a value read just before it.
 */
export class AccessCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly pending = new Map<string, Promise<V>>();
  private generation = 0;
  private readonly maxEntries: number;

  constructor(
    private readonly invalidation: InvalidationSource,
    private readonly options: AccessCacheOptions<V>,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    invalidation.onInvalidate((userId) => this.drop(userId));
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    if (!this.invalidation.isListening) return load();
    const cached = this.entries.get(key);
    if (cached) {
      if (cached.expiresAt > Date.now()) return Promise.resolve(cached.value);
      this.entries.delete(key);
    }
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const lookup = load().then((value) => {
      const owner = this.options.ownerOf(key, value);
      if (owner !== null && generation === this.generation && this.invalidation.isListening) this.keep(key, value, owner);
      return value;
    }).finally(() => {
      if (this.pending.get(key) === lookup) this.pending.delete(key);
    });
    this.pending.set(key, lookup);
    return lookup;
  }

  get size(): number {
    return this.entries.size;
  }

  private keep(key: string, value: V, owner: string): void {
    if (this.entries.size >= this.maxEntries) this.evict();
    this.entries.set(key, { value, owner, expiresAt: Date.now() + this.options.ttlMs });
  }

  /** Expired entries first; if that is not enough, the oldest (a Map iterates in insertion order). */
  private evict(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }

  private drop(userId: string): void {
    this.generation += 1;
    // A lookup in flight may predate the change: later callers must not join it.
    this.pending.clear();
    if (userId === EVERYONE) {
      this.entries.clear();
      return;
    }
    for (const [key, entry] of this.entries) if (entry.owner === userId) this.entries.delete(key);
  }
}
