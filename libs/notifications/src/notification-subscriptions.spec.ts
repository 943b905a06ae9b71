import { describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import type { Redis } from 'ioredis';
import type { AppConfig } from '@switchboard/core';
import type { NotificationEvent } from './notification-event';
import { NotificationSubscriptions } from './notification-subscriptions';

const PROJECT = '00000000-0000-4000-8000-000000000001';
const PROCEDURE = '00000000-0000-4000-8000-000000000002';

function event(type: NotificationEvent['type'], versionId?: string): NotificationEvent {
  return { key: `run:${type}`, type, occurredAt: new Date().toISOString(), projectId: PROJECT, procedureId: PROCEDURE, procedureName: 'deploy', versionId };
}

/** Answers the three lookups from fixed rows and counts them. */
function subscriptions(options: {
  channels: Array<{ name: string; events: string[] }>;
  notify?: Record<string, { on?: string[]; channels?: string[] } | null>;
  activeVersionId?: string;
  smtp?: boolean;
}): { subscriptions: NotificationSubscriptions; queries: string[] } {
  const queries: string[] = [];
  const dataSource = {
    query: async (sql: string, params: unknown[]) => {
      queries.push(sql.split(' ').slice(0, 4).join(' '));
      if (sql.includes('FROM notification_channels')) {
        return options.channels.map((c, index) => ({ id: `c${index}`, project_id: PROJECT, name: c.name, type: 'webhook', config: {}, events: c.events }));
      }
      if (sql.includes('FROM procedures')) return [{ active_version_id: options.activeVersionId ?? null }];
      const notify = options.notify?.[params[0] as string];
      return notify === undefined ? [] : [{ notify }];
    },
  } as unknown as DataSource;
  const config = { SWITCHBOARD_SMTP_URL: options.smtp ? 'smtp://localhost:25' : undefined } as AppConfig;
  return { subscriptions: new NotificationSubscriptions(dataSource, {} as Redis, config), queries };
}

describe('NotificationSubscriptions', () => {
  it('hears nobody in a project without channels, after one lookup and no version lookup', async () => {
    const { subscriptions: s, queries } = subscriptions({ channels: [] });
    expect(await s.hasListeners(event('succeeded', 'v1'))).toBe(false);
    expect(queries).toHaveLength(1);
  });

  it('finds project defaults without looking at the version', async () => {
    const { subscriptions: s, queries } = subscriptions({ channels: [{ name: 'ops', events: ['failed'] }] });
    expect((await s.channelsFor(event('failed', 'v1'))).map((c) => c.name)).toEqual(['ops']);
    expect(await s.hasListeners(event('succeeded', 'v1'))).toBe(false);
    expect(queries.filter((q) => q.includes('notify'))).toHaveLength(1);
  });

  it("follows the pinned version's notify, not the active version's", async () => {
    const { subscriptions: s } = subscriptions({
      channels: [{ name: 'ops', events: [] }, { name: 'dev', events: [] }],
      notify: { v1: { on: ['failed'], channels: ['ops'] }, v2: null },
      activeVersionId: 'v2',
    });
    expect((await s.channelsFor(event('failed', 'v1'))).map((c) => c.name)).toEqual(['ops']);
    expect(await s.channelsFor(event('succeeded', 'v1'))).toEqual([]);
    expect(await s.channelsFor(event('failed'))).toEqual([]);
  });

  it("uses the active version's notify for events without a version", async () => {
    const { subscriptions: s } = subscriptions({
      channels: [{ name: 'ops', events: [] }], notify: { v2: { on: ['version_submitted'], channels: ['ops'] } }, activeVersionId: 'v2',
    });
    expect((await s.channelsFor(event('version_submitted'))).map((c) => c.name)).toEqual(['ops']);
  });

  it('counts owners as listeners of terminal states only when email can be sent', async () => {
    expect(await subscriptions({ channels: [], smtp: true }).subscriptions.hasListeners(event('failed'))).toBe(true);
    expect(await subscriptions({ channels: [], smtp: true }).subscriptions.hasListeners(event('started'))).toBe(false);
    expect(await subscriptions({ channels: [], smtp: false }).subscriptions.hasListeners(event('failed'))).toBe(false);
  });
});
