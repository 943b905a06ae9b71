import { Inject, Injectable } from '@nestjs/common';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, createRedisConnection, LOGGER, type Logger, NOTIFICATIONS_QUEUE, QUEUE_PREFIX } from '@switchboard/core';
import { type NotificationEvent, NotificationDispatcher, NOTIFICATIONS_DELIVER_JOB, NOTIFICATIONS_DISPATCH_JOB } from '@switchboard/notifications';

const DELIVERY_ATTEMPTS = 8;

/** Retries start within seconds (1 s, 4 s, 16 s, …, capped at 5 min) so a brief outage delays a message by seconds. */
export function deliveryBackoff(attemptsMade: number): number {
  return Math.min(1000 * 4 ** Math.max(0, attemptsMade - 1), 300_000);
}

/** The `notifications` queue: dispatch events into deliveries, then deliver each with retries. */
@Injectable()
export class NotificationsProcessor {
  private worker: Worker | undefined;
  private queue: Queue | undefined;
  private connections: Redis[] = [];

  constructor(
    private readonly dispatcher: NotificationDispatcher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  start(): void {
    const connection = createRedisConnection(this.config.REDIS_URL, { forBullWorker: true, name: 'switchboard-notifications' });
    const queueConnection = createRedisConnection(this.config.REDIS_URL, { forBullWorker: true, name: 'switchboard-notifications-queue' });
    this.connections.push(connection, queueConnection);
    this.queue = new Queue(NOTIFICATIONS_QUEUE, { connection: queueConnection, prefix: QUEUE_PREFIX });
    this.worker = new Worker(NOTIFICATIONS_QUEUE, (job) => this.handle(job), {
      connection, prefix: QUEUE_PREFIX, concurrency: 16,
      settings: { backoffStrategy: (attemptsMade: number) => deliveryBackoff(attemptsMade) },
    });
    this.worker.on('error', (error) => this.logger.warn({ err: error }, 'notifications queue problem; retrying'));
  }

  private async handle(job: Job): Promise<void> {
    if (job.name === NOTIFICATIONS_DISPATCH_JOB) {
      const ids = await this.dispatcher.dispatch(job.data as NotificationEvent);
      for (const id of ids) {
        await this.queue!.add(NOTIFICATIONS_DELIVER_JOB, { deliveryId: id }, {
          jobId: `delivery-${id}`, attempts: DELIVERY_ATTEMPTS, backoff: { type: 'custom' }, removeOnComplete: true, removeOnFail: { count: 1000 },
        });
      }
      return;
    }
    if (job.name === NOTIFICATIONS_DELIVER_JOB) {
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      await this.dispatcher.deliver((job.data as { deliveryId: string }).deliveryId, final);
    }
  }

  async stop(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
    for (const connection of this.connections) connection.disconnect();
  }
}
