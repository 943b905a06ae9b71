import type { Redis } from 'ioredis';
import { createRedisConnection } from './redis-connection';

export interface ConfirmedSubscriptionHandlers {
  onMessage(message: string, channel: string): void;
  /** After every (re)subscription: what was published while away is lost, so start over. */
  onReset(): void;
}

/**
 * A Redis subscription that knows whether messages reach it. It counts as listening only from
 * the answer to its SUBSCRIBE until its connection drops; on every (re)connection it subscribes
 * again (ioredis would too; twice is harmless, and only our answer tells when messages flow) and
 * calls onReset. Caches built on its messages serve only while it listens.
 */
export class ConfirmedSubscription {
  private readonly connection: Redis;
  private confirmed = false;

  /** `channels`: one or several, subscribed (and confirmed) together. */
  constructor(redisUrl: string, name: string, channels: string | string[], handlers: ConfirmedSubscriptionHandlers) {
    const connection = createRedisConnection(redisUrl, { name });
    this.connection = connection;
    connection.on('message', (channel: string, message: string) => handlers.onMessage(message, channel));
    connection.on('close', () => {
      this.confirmed = false;
    });
    connection.on('ready', () => {
      connection.subscribe(...(typeof channels === 'string' ? [channels] : channels)).then(() => {
        if (connection.status !== 'ready') return;
        handlers.onReset();
        this.confirmed = true;
      }, () => undefined);
    });
  }

  get listening(): boolean {
    return this.confirmed;
  }

  disconnect(): void {
    this.confirmed = false;
    this.connection.disconnect();
  }
}
