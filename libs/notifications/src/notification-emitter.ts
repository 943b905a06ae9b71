import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, createRedisConnection, LOGGER, type Logger, NOTIFICATIONS_QUEUE, QUEUE_PREFIX } from '@switchboard/core';
import { type NotificationEvent, NOTIFICATIONS_DISPATCH_JOB } from './notification-event';
import { NotificationSubscriptions } from './notification-subscriptions';

/**
 * Announces events to the notifications queue after the change that caused them committed, when
 * anyone is subscribed to them (most runs notify nobody: they cost no job then). The job id is
 * the event key, so an event is dispatched once. Failures are logged and never fail or slow the
 * change itself.
 */
@Injectable()
export class NotificationEmitter implements OnModuleDestroy {
  private queue: Queue | undefined;
  private connection: Redis | undefined;

  constructor(
    private readonly subscriptions: NotificationSubscriptions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  private queueInstance(): Queue {
    if (!this.queue) {
      this.connection = createRedisConnection(this.config.REDIS_URL, { name: 'switchboard-notify', forBullWorker: true });
      this.queue = new Queue(NOTIFICATIONS_QUEUE, { connection: this.connection, prefix: QUEUE_PREFIX });
    }
    return this.queue;
  }

  async emit(event: NotificationEvent): Promise<void> {
    try {
      // If the question cannot be answered (PostgreSQL down), the event is queued: the dispatcher retries.
      if (!(await this.subscriptions.hasListeners(event).catch(() => true))) return;
      await this.queueInstance().add(NOTIFICATIONS_DISPATCH_JOB, event, {
        // BullMQ job ids may not contain ":".
        jobId: `event-${event.key.replace(/:/g, '_')}`,
        removeOnComplete: true, removeOnFail: { count: 1000 }, attempts: 5, backoff: { type: 'exponential', delay: 1000 },
      });
    } catch (error) {
      this.logger.warn({ err: error, event: event.key }, 'could not queue a notification');
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.queue?.close().catch(() => undefined);
    this.connection?.disconnect();
  }
}
