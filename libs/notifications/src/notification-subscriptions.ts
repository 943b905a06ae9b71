import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, InvalidatedCache, InvalidationChannel, QUEUE_PREFIX, REDIS } from '@switchboard/core';
import type { NotificationEvent } from './notification-event';
import type { NotificationChannelEntity } from './notification-channel.entity';

/** Redis pub/sub channel telling every process that a project's channels changed (the message is the project id). */
export const CHANNELS_CHANGED_CHANNEL = `${QUEUE_PREFIX}:notifications:channels-changed`;

/** Terminal run states: a procedure's owners hear of each of these by default (by email, when SMTP is configured). */
export const OWNER_EVENTS: ReadonlySet<string> = new Set(['succeeded', 'failed', 'timed_out', 'canceled', 'worker_lost', 'rejected']);

/** What delivery needs to know of a channel; its sealed secrets are read only when a message goes out. */
export type SubscribedChannel = Pick<NotificationChannelEntity, 'id' | 'projectId' | 'name' | 'type' | 'config' | 'events'>;

interface NotifyConfig {
  on?: string[];
  channels?: string[];
}

/** A changed channel is heard at once through Redis; this only bounds staleness where a message was lost unnoticed. */
const CHANNELS_TTL_MS = 60_000;
const MAX_CACHED = 10_000;

/**
 * Who is subscribed to an event, answered mostly from memory, so that a run nobody listens to
 * costs neither a notification job nor a lookup. A version's `notify` never changes (versions are
 * immutable) and is kept for good; a project's channels are kept until a change to them is
 * announced (NotificationChannelService announces every change after it commits, and each process
 * confirms it dropped the list: InvalidationChannel, as for access).
 */
@Injectable()
export class NotificationSubscriptions implements OnModuleInit, OnModuleDestroy {
  /** Each project's channels, tagged by project: dropped when a change to them is announced. */
  private readonly channelsByProject: InvalidatedCache<SubscribedChannel[]>;
  private readonly notifyByVersion = new Map<string, NotifyConfig | null>();
  private readonly changes: InvalidationChannel;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(REDIS) redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.changes = new InvalidationChannel(redis, config.REDIS_URL, CHANNELS_CHANGED_CHANNEL, 'switchboard-notify-subscriptions');
    this.channelsByProject = new InvalidatedCache(this.changes, { ttlMs: CHANNELS_TTL_MS, tagOf: (projectId) => projectId, maxEntries: MAX_CACHED });
  }

  onModuleInit(): void {
    this.changes.start();
  }

  onModuleDestroy(): void {
    this.changes.close();
  }

  /**
   * Whether anyone hears of the event: owners by email (terminal run states, with SMTP
   * configured), a channel whose project defaults include it, or a channel the version's
   * `notify` names for it.
   */
  async hasListeners(event: NotificationEvent): Promise<boolean> {
    if (OWNER_EVENTS.has(event.type) && this.config.SWITCHBOARD_SMTP_URL) return true;
    return (await this.channelsFor(event)).length > 0;
  }

  /**
   * The project's channels that receive the event. The procedure subscriptions are those of
   * the run's pinned version (`event.versionId`), else of the active version.
   */
  async channelsFor(event: NotificationEvent): Promise<SubscribedChannel[]> {
    const channels = await this.projectChannels(event.projectId);
    if (channels.length === 0) return [];
    const byDefault = channels.filter((c) => c.events.includes(event.type));
    if (byDefault.length === channels.length) return byDefault;
    const notify = await this.notifyOf(event);
    if (!notify?.on?.includes(event.type) || !notify.channels?.length) return byDefault;
    return channels.filter((c) => c.events.includes(event.type) || notify.channels?.includes(c.name));
  }

  /** Tells every process (this one first) that a project's channels changed; each confirms. Call after the change committed. */
  async channelsChanged(projectId: string): Promise<void> {
    await this.changes.invalidate(projectId);
  }

  private projectChannels(projectId: string): Promise<SubscribedChannel[]> {
    return this.channelsByProject.get(projectId, async () => {
      const rows = (await this.dataSource.query(
        'SELECT id, project_id, name, type, config, events FROM notification_channels WHERE project_id = $1',
        [projectId],
      )) as Array<{ id: string; project_id: string; name: string; type: SubscribedChannel['type']; config: SubscribedChannel['config']; events: string[] }>;
      return rows.map((r) => ({ id: r.id, projectId: r.project_id, name: r.name, type: r.type, config: r.config, events: r.events }));
    });
  }

  private async notifyOf(event: NotificationEvent): Promise<NotifyConfig | null> {
    let versionId = event.versionId;
    if (!versionId) {
      const [procedure] = (await this.dataSource.query('SELECT active_version_id FROM procedures WHERE id = $1', [event.procedureId])) as Array<{ active_version_id: string | null }>;
      versionId = procedure?.active_version_id ?? undefined;
      if (!versionId) return null;
    }
    if (this.notifyByVersion.has(versionId)) return this.notifyByVersion.get(versionId) ?? null;
    const [version] = (await this.dataSource.query(
      `SELECT definition->'notify' AS notify FROM procedure_versions WHERE id = $1`, [versionId],
    )) as Array<{ notify: NotifyConfig | null }>;
    const notify = version?.notify ?? null;
    if (this.notifyByVersion.size >= MAX_CACHED) this.notifyByVersion.clear();
    if (version) this.notifyByVersion.set(versionId, notify);
    return notify;
  }
}
