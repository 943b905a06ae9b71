import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ACCESS_INVALIDATION_CHANNEL, APP_CONFIG, type AppConfig, ConfirmedSubscription, INVALIDATE_ALL, type InvalidationSource, REDIS } from '@switchboard/core';

/** Names every user at once in an invalidation. */
export const EVERYONE = INVALIDATE_ALL;

/**
 * "This user's access changed" (`*`: everyone's), told to every api process over one Redis channel:
 * a binding, a team membership, a role or a project setting changed, a token was revoked, a user was
 * disabled or changed. The caches of access (GrantCache, the resolved-token cache) listen here.
 *
 * A message sent while a process is disconnected from Redis is lost to it, so a process counts as
 * listening only from the moment its subscription is confirmed until its connection drops, and
 * tells its listeners to drop everything on each (re)subscription. Caches bypass themselves while it
 * is not listening; their TTL bounds staleness only where a loss goes unnoticed (a message dropped
 * on a connection that still looks alive).
 */
@Injectable()
export class AccessInvalidation implements InvalidationSource, OnModuleInit, OnModuleDestroy {
  private readonly listeners = new Set<(userId: string) => void>();
  private subscription: ConfirmedSubscription | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get isListening(): boolean {
    this.start();
    return this.subscription!.listening;
  }

  onInvalidate(listener: (userId: string) => void): void {
    this.listeners.add(listener);
  }

  /** Tells every api process (this one first) that a user's access changed; `*` for everyone. */
  async invalidate(userId: string = EVERYONE): Promise<void> {
    this.notify(userId);
    await this.redis.publish(ACCESS_INVALIDATION_CHANNEL, userId);
  }

  /** At boot, so that caches work from the first requests on. */
  onModuleInit(): void {
    this.start();
  }

  private start(): void {
    this.subscription ??= new ConfirmedSubscription(this.config.REDIS_URL, 'switchboard-access', ACCESS_INVALIDATION_CHANNEL, {
      onMessage: (userId) => this.notify(userId),
      onReset: () => this.notify(EVERYONE),
    });
  }

  private notify(userId: string): void {
    for (const listener of this.listeners) listener(userId);
  }

  onModuleDestroy(): void {
    this.subscription?.disconnect();
  }
}
