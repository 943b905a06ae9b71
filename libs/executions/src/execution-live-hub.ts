import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, createRedisConnection, executionChannel } from '@switchboard/core';
import type { LiveMessage } from './execution-events';

type Listener = (message: LiveMessage) => void;

/**
 * One Redis subscriber per api process, fanning live execution messages out to local SSE
 * clients. Channels are subscribed while at least one client follows them.
 */
@Injectable()
export class ExecutionLiveHub implements OnModuleDestroy {
  private subscriber: Redis | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  private connection(): Redis {
    if (!this.subscriber) {
      this.subscriber = createRedisConnection(this.config.REDIS_URL, { name: 'switchboard-live' });
      this.subscriber.on('message', (channel: string, payload: string) => {
        const set = this.listeners.get(channel);
        if (!set) return;
        let message: LiveMessage;
        try {
          message = JSON.parse(payload) as LiveMessage;
        } catch {
          return;
        }
        for (const listener of set) listener(message);
      });
    }
    return this.subscriber;
  }

  /** Subscribes; resolves once Redis confirms, so nothing published afterwards is missed. */
  async follow(executionId: string, listener: Listener): Promise<() => void> {
    const channel = executionChannel(executionId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.connection().subscribe(channel);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(channel);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(channel);
        void this.subscriber?.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  onModuleDestroy(): void {
    this.subscriber?.disconnect();
  }
}
