import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConfirmedSubscription } from './confirmed-subscription';
import { INVALIDATE_ALL, type InvalidationSource } from './invalidated-cache';

/** How long an invalidation waits for every process to confirm it dropped what it had cached. */
const ACK_TIMEOUT_MS = 1_000;

/** On the channel: what changed, and where to confirm it was heard (absent: no confirmation wanted). */
interface InvalidationMessage {
  tag: string;
  ack?: { channel: string; id: string };
}

function parseMessage(text: string): InvalidationMessage {
  if (!text.startsWith('{')) return { tag: text }; // a bare tag, from a sender that wants no confirmation
  try {
    const parsed = JSON.parse(text) as Partial<InvalidationMessage>;
    return typeof parsed.tag === 'string' ? { tag: parsed.tag, ack: parsed.ack } : { tag: INVALIDATE_ALL };
  } catch {
    return { tag: INVALIDATE_ALL }; // unreadable: drop everything rather than keep what may be stale
  }
}

interface Waiting {
  heard: number;
  /** The number of subscribers PUBLISH reached, once it answered. */
  reached?: number;
  done(): void;
}

/**
 * "What this tag names changed", told to every process over one Redis channel, for the caches
 * built on it (InvalidatedCache): a user's access, a project's notification channels.
 *
 * `invalidate` returns once every process that received the message has dropped its entries and
 * said so (each process answers on a reply channel of its own), or after ACK_TIMEOUT_MS. A change
 * is then seen by the very next request, whichever process it reaches: pub/sub alone only puts
 * the message in each process's socket, which may still read the next request first.
 *
 * A message sent while a process is disconnected from Redis is lost to it, so a process counts as
 * listening only from the moment its subscription is confirmed until its connection drops, and
 * tells its listeners to drop everything on each (re)subscription. Caches bypass themselves while
 * it is not listening; their TTL bounds staleness only where a loss goes unnoticed (a message
 * dropped on a connection that still looks alive).
 */
export class InvalidationChannel implements InvalidationSource {
  private readonly listeners = new Set<(tag: string) => void>();
  private subscription: ConfirmedSubscription | undefined;
  /** Where other processes confirm this one's invalidations. */
  private readonly replyChannel: string;
  private readonly waiting = new Map<string, Waiting>();

  /** `redis`: a connection for publishing; the subscription gets its own, named `name`. */
  constructor(
    private readonly redis: Redis,
    private readonly redisUrl: string,
    private readonly channel: string,
    private readonly name: string,
  ) {
    this.replyChannel = `${channel}:ack:${randomUUID()}`;
  }

  /** False until start(), and whenever the subscription is not confirmed. */
  get isListening(): boolean {
    return this.subscription?.listening ?? false;
  }

  onInvalidate(listener: (tag: string) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Tells every process (this one first) that what `tag` names changed; INVALIDATE_ALL for
   * everything. Call after the change committed. Resolves once each has confirmed, or after
   * ACK_TIMEOUT_MS; at once when this process is not listening (confirmations could not reach it;
   * caches bypass themselves meanwhile anyway).
   */
  async invalidate(tag: string = INVALIDATE_ALL): Promise<void> {
    this.notify(tag);
    if (!this.isListening) {
      await this.redis.publish(this.channel, tag);
      return;
    }
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const confirmed = new Promise<void>((resolve) => {
      this.waiting.set(id, { heard: 0, done: resolve });
      timer = setTimeout(resolve, ACK_TIMEOUT_MS);
    });
    try {
      const message: InvalidationMessage = { tag, ack: { channel: this.replyChannel, id } };
      const reached = await this.redis.publish(this.channel, JSON.stringify(message));
      const waiting = this.waiting.get(id) as Waiting;
      waiting.reached = reached;
      if (waiting.heard >= reached) waiting.done();
      await confirmed;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(id);
    }
  }

  /** Subscribes now (at boot), so that caches work from the first requests on. */
  start(): void {
    this.subscription ??= new ConfirmedSubscription(this.redisUrl, this.name, [this.channel, this.replyChannel], {
      onMessage: (text, channel) => (channel === this.replyChannel ? this.confirmation(text) : this.heard(parseMessage(text))),
      onReset: () => this.notify(INVALIDATE_ALL),
    });
  }

  close(): void {
    this.subscription?.disconnect();
  }

  private heard(message: InvalidationMessage): void {
    this.notify(message.tag);
    // Listeners drop entries synchronously: by now nothing stale is served from here.
    if (message.ack) void this.redis.publish(message.ack.channel, message.ack.id).catch(() => undefined);
  }

  private confirmation(id: string): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    waiting.heard += 1;
    if (waiting.reached !== undefined && waiting.heard >= waiting.reached) waiting.done();
  }

  private notify(tag: string): void {
    for (const listener of this.listeners) listener(tag);
  }
}
