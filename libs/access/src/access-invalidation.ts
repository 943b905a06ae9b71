import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ACCESS_INVALIDATION_CHANNEL, APP_CONFIG, type AppConfig, ConfirmedSubscription, INVALIDATE_ALL, type InvalidationSource, REDIS } from '@switchboard/core';

/** Names every user at once in an invalidation. */
export const EVERYONE = INVALIDATE_ALL;

/** How long an invalidation waits for every process to confirm it dropped what it had cached. */
const ACK_TIMEOUT_MS = 1_000;

/** On the channel: which user's access changed, and where to confirm it was heard (absent: no confirmation wanted). */
interface InvalidationMessage {
  user: string;
  ack?: { channel: string; id: string };
}

function parseMessage(text: string): InvalidationMessage {
  if (!text.startsWith('{')) return { user: text }; // a bare user id (`*` for everyone)
  try {
    const parsed = JSON.parse(text) as Partial<InvalidationMessage>;
    return typeof parsed.user === 'string' ? { user: parsed.user, ack: parsed.ack } : { user: EVERYONE };
  } catch {
    return { user: EVERYONE }; // unreadable: drop everything rather than keep what may be stale
  }
}

interface Waiting {
  heard: number;
  /** The number of subscribers PUBLISH reached, once it answered. */
  reached?: number;
  done(): void;
}

/**
 * "This user's access changed" (`*`: everyone's), told to every api process over one Redis channel:
 * a binding, a team membership, a role or a project setting changed, a token was revoked, a user was
 * disabled or changed. The caches of access (GrantCache, the resolved-token cache) listen here.
 *
 * `invalidate` returns once every process that received the message has dropped its entries and
 * said so (each process answers on a reply channel of its own), or after ACK_TIMEOUT_MS. A revoked
 * token is then refused by the very next request, whichever api process it reaches: pub/sub alone
 * only puts the message in each process's socket, which may still read the next request first.
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
  /** Where other processes confirm this one's invalidations. */
  private readonly replyChannel = `${ACCESS_INVALIDATION_CHANNEL}:ack:${randomUUID()}`;
  private readonly waiting = new Map<string, Waiting>();

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

  /**
   * Tells every api process (this one first) that a user's access changed; `*` for everyone.
   * Resolves once each has confirmed, or after ACK_TIMEOUT_MS; at once when this process is not
   * listening (confirmations could not reach it; caches bypass themselves meanwhile anyway).
   */
  async invalidate(userId: string = EVERYONE): Promise<void> {
    this.notify(userId);
    if (!this.isListening) {
      await this.redis.publish(ACCESS_INVALIDATION_CHANNEL, userId);
      return;
    }
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const confirmed = new Promise<void>((resolve) => {
      this.waiting.set(id, { heard: 0, done: resolve });
      timer = setTimeout(resolve, ACK_TIMEOUT_MS);
    });
    try {
      const message: InvalidationMessage = { user: userId, ack: { channel: this.replyChannel, id } };
      const reached = await this.redis.publish(ACCESS_INVALIDATION_CHANNEL, JSON.stringify(message));
      const waiting = this.waiting.get(id) as Waiting;
      waiting.reached = reached;
      if (waiting.heard >= reached) waiting.done();
      await confirmed;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  /** At boot, so that caches work from the first requests on. */
  onModuleInit(): void {
    this.start();
  }

  private start(): void {
    this.subscription ??= new ConfirmedSubscription(this.config.REDIS_URL, 'switchboard-access', [ACCESS_INVALIDATION_CHANNEL, this.replyChannel], {
      onMessage: (text, channel) => (channel === this.replyChannel ? this.confirmation(text) : this.heard(parseMessage(text))),
      onReset: () => this.notify(EVERYONE),
    });
  }

  private heard(message: InvalidationMessage): void {
    this.notify(message.user);
    // Listeners drop entries synchronously: by now nothing stale is served from here.
    if (message.ack) void this.redis.publish(message.ack.channel, message.ack.id).catch(() => undefined);
  }

  private confirmation(id: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    waiting.heard += 1;
    if (waiting.reached !== undefined && waiting.heard >= waiting.reached) waiting.done();
  }

  private notify(userId: string): void {
    for (const listener of this.listeners) listener(userId);
  }

  onModuleDestroy(): void {
    this.subscription?.disconnect();
  }
}
