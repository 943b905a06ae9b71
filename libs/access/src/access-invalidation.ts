import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ACCESS_INVALIDATION_CHANNEL, APP_CONFIG, type AppConfig, INVALIDATE_ALL, InvalidationChannel, REDIS } from '@switchboard/core';

/** Names every user at once in an invalidation. */
export const EVERYONE = INVALIDATE_ALL;

/**
 * "This user's access changed" (`*`: everyone's), told to every api process and confirmed by each
 * before `invalidate` returns (InvalidationChannel): a binding, a team membership, a role or a
 * project setting changed, a token was revoked, a user was disabled or changed. The caches of
 * access (GrantCache, the resolved-token cache) listen here.
 */
@Injectable()
export class AccessInvalidation extends InvalidationChannel implements OnModuleInit, OnModuleDestroy {
  constructor(@Inject(REDIS) redis: Redis, @Inject(APP_CONFIG) config: AppConfig) {
    super(redis, config.REDIS_URL, ACCESS_INVALIDATION_CHANNEL, 'switchboard-access');
  }

  onModuleInit(): void {
    this.start();
  }

  onModuleDestroy(): void {
    this.close();
  }
}
