/** Names every tag at once in an invalidation. */
export const INVALIDATE_ALL = '*';

/** Where invalidations come from (an interface, so caches can be tested without Redis). */
export interface InvalidationSource {
  /** Whether this process hears invalidations right now; while not, nothing may be served from a cache. */
  readonly isListening: boolean;
  /** `tag` names what changed (a user, a project…), or INVALIDATE_ALL. */
  onInvalidate(listener: (tag: string) => void): void;
}

export interface InvalidatedCacheOptions<V> {
  ttlMs: number;
  /** What a value derives from (its entry is dropped when an invalidation names it); null: do not keep it. */
  tagOf: (key: string, value: V) => string | null;
  maxEntries?: number;
}

interface Entry<V> {
  value: V;
  tag: string;
  expiresAt: number;
}

/**
 * A per-process cache of values that other processes may change: a user's grants or bearer token
 * (tagged by user), a project's notification channels (tagged by project). An entry lives until
 * its TTL ends or until an invalidation names its tag (or all), in this process or any other. While invalidations cannot be heard, nothing is served from it.
 * Concurrent misses of one key share one lookup; a lookup that raced an invalidation is not kept
 * (a generation counter), so a change is never hidden behind a value read just before it.
 */
export class InvalidatedCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly pending = new Map<string, Promise<V>>();
  private generation = 0;
  private readonly maxEntries: number;

  constructor(
    private readonly invalidation: InvalidationSource,
    private readonly options: InvalidatedCacheOptions<V>,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    invalidation.onInvalidate((tag) => this.drop(tag));
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
      const tag = this.options.tagOf(key, value);
      if (tag !== null && generation === this.generation && this.invalidation.isListening) this.keep(key, value, tag);
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

  private keep(key: string, value: V, tag: string): void {
    if (this.entries.size >= this.maxEntries) this.evict();
    this.entries.set(key, { value, tag, expiresAt: Date.now() + this.options.ttlMs });
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

  private drop(tag: string): void {
    this.generation += 1;
    // A lookup in flight may predate the change: later callers must not join it.
    this.pending.clear();
    if (tag === INVALIDATE_ALL) {
      this.entries.clear();
      return;
    }
    for (const [key, entry] of this.entries) if (entry.tag === tag) this.entries.delete(key);
  }
}
