import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ACCESS_INVALIDATION_CHANNEL, APP_CONFIG, type AppConfig, createRedisConnection, REDIS } from '@switchboard/core';
import { AccessRepository } from './access.repository';
import type { Grant } from './caller-ability';

const TTL_MS = 60_000;
const ALL = '*';

/**
 * Caches each user's grants (bindings resolved through teams and roles) in the api process, and
 * drops them in every process the moment a binding, membership, role or user changes: changes
 * publish on Redis; a generation counter keeps a read that raced a change from being cached.
 * The TTL bounds staleness should an invalidation message ever be lost.
 */
@Injectable()
export class GrantCache implements OnModuleDestroy {
  private readonly entries = new Map<string, { grants: Grant[]; expiresAt: number }>();
  /** Lookups in flight, shared by concurrent requests of one user (no stampede when an entry expires). */
  private readonly pending = new Map<string, Promise<Grant[]>>();
  private generation = 0;
  private subscriber: Redis | undefined;
  private subscribed: Promise<void> | undefined;

  constructor(
    private readonly repository: AccessRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private listen(): Promise<void> {
    this.subscribed ??= (async () => {
      this.subscriber = createRedisConnection(this.config.REDIS_URL, { name: 'switchboard-access' });
      this.subscriber.on('message', (_channel: string, userId: string) => this.drop(userId));
      // After a reconnect, messages sent meanwhile are lost: start from an empty cache.
      this.subscriber.on('ready', () => this.drop(ALL));
      await this.subscriber.subscribe(ACCESS_INVALIDATION_CHANNEL);
    })();
    return this.subscribed;
  }

  async grantsFor(userId: string): Promise<Grant[]> {
    await this.listen();
    const cached = this.entries.get(userId);
    if (cached && cached.expiresAt > Date.now()) return cached.grants;
    const inFlight = this.pending.get(userId);
    if (inFlight) return inFlight;
    const generation = this.generation;
    const lookup = this.repository.grantsForUser(userId).then((grants) => {
      if (generation === this.generation) this.entries.set(userId, { grants, expiresAt: Date.now() + TTL_MS });
      return grants;
    }).finally(() => this.pending.delete(userId));
    this.pending.set(userId, lookup);
    return lookup;
  }

  private drop(userId: string): void {
    this.generation += 1;
    // A lookup in flight may predate the change: later callers must not join it.
    if (userId === ALL) this.pending.clear();
    else this.pending.delete(userId);
    if (userId === ALL) this.entries.clear();
    else this.entries.delete(userId);
  }

  /** Tells every api process (this one included) that a user's access changed; `*` for everyone. */
  async invalidate(userId: string | typeof ALL = ALL): Promise<void> {
    this.drop(userId);
    await this.redis.publish(ACCESS_INVALIDATION_CHANNEL, userId);
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }
}
