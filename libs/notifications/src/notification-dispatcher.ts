import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, LOGGER, type Logger, SecretBox, SYSTEM_ACTOR, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import type { NotificationEvent } from './notification-event';
import { NotificationChannelEntity } from './notification-channel.entity';
import { NotificationSubscriptions, OWNER_EVENTS, type SubscribedChannel } from './notification-subscriptions';
import { type DeliveryAttempt, NotificationDeliveryEntity } from './notification-delivery.entity';
import { renderMessage, slackPayload } from './notification-message';
import { checkOutgoingTarget } from './target-policy';

const RESPONSE_LIMIT = 64 * 1024;
const TIMEOUT_MS = 10_000;

interface Target {
  key: string;
  channel: SubscribedChannel | null;
  type: string;
  label: string;
  recipients?: string[];
}

/**
 * Worker side of notifications. `dispatch` turns an event into one delivery per subscribed
 * target (idempotent: a unique key per event and target); `deliver` sends one delivery and
 * records the attempt. Failures are retried by the queue with backoff, never touching the run.
 */
@Injectable()
export class NotificationDispatcher {
  private mailer: Transporter | null | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly secrets: SecretBox,
    private readonly subscriptions: NotificationSubscriptions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Creates the deliveries for an event; returns the ids of new deliveries to send. */
  async dispatch(event: NotificationEvent): Promise<string[]> {
    const targets = await this.targetsFor(event);
    const message = renderMessage(event, this.config.SWITCHBOARD_PUBLIC_URL);
    const created: string[] = [];
    for (const target of targets) {
      const rows = (await this.dataSource.query(
        `INSERT INTO notification_deliveries (event_key, event_type, target_key, channel_id, channel_type, target, project_id, procedure_id, execution_id, status, attempts, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', '[]', $10)
         ON CONFLICT (event_key, target_key) DO NOTHING RETURNING id`,
        [event.key, event.type, target.key, target.channel?.id ?? null, target.type, target.label, event.projectId, event.procedureId,
          event.execution?.id ?? null, JSON.stringify({ subject: message.subject, text: message.text, recipients: target.recipients })],
      )) as Array<{ id: string }>;
      created.push(...rows.map((r) => r.id));
    }
    return created;
  }

  private async targetsFor(event: NotificationEvent): Promise<Target[]> {
    const channels = await this.subscriptions.channelsFor(event);
    const targets: Target[] = channels.map((c) => ({ key: `channel:${c.id}`, channel: c, type: c.type, label: c.name, recipients: c.config.to }));
    if (OWNER_EVENTS.has(event.type) && this.config.SWITCHBOARD_SMTP_URL) {
      // By default the procedure's owners hear of every run of it.
      const owners = (await this.dataSource.query(
        `SELECT DISTINCT u.id, u.email FROM role_bindings b
           LEFT JOIN team_members m ON b.subject_type = 'team' AND m.team_id = b.subject_id
           JOIN users u ON u.id = CASE WHEN b.subject_type = 'user' THEN b.subject_id ELSE m.user_id END
          WHERE b.role_name = 'owner' AND u.email IS NOT NULL AND NOT u.disabled
            AND ((b.scope_type = 'project' AND b.scope_id = $1) OR (b.scope_type = 'procedure' AND b.scope_id = $2))`,
        [event.projectId, event.procedureId],
      )) as Array<{ id: string; email: string }>;
      for (const owner of owners) targets.push({ key: `owner:${owner.id}`, channel: null, type: 'email', label: maskEmail(owner.email), recipients: [owner.email] });
    }
    return targets;
  }

  /** Sends one delivery. Throws to have the queue retry; `final` marks the last attempt. */
  async deliver(deliveryId: string, final: boolean): Promise<void> {
    const delivery = await this.dataSource.getRepository(NotificationDeliveryEntity).findOneBy({ id: deliveryId });
    if (!delivery || delivery.status !== 'pending') return;
    const channel = delivery.channelId ? await this.dataSource.getRepository(NotificationChannelEntity).findOneBy({ id: delivery.channelId }) : null;
    if (delivery.channelId && !channel) {
      await this.record(delivery, { at: new Date().toISOString(), ok: false, durationMs: 0, error: 'the channel was deleted' }, 'failed');
      return;
    }
    const started = Date.now();
    try {
      const status = await this.send(delivery, channel);
      await this.record(delivery, { at: new Date(started).toISOString(), ok: true, durationMs: Date.now() - started, status }, 'delivered');
    } catch (error) {
      const attempt: DeliveryAttempt = { at: new Date(started).toISOString(), ok: false, durationMs: Date.now() - started, error: describe(error) };
      const httpStatus = (error as { status?: number }).status;
      if (httpStatus) attempt.status = httpStatus;
      await this.record(delivery, attempt, final ? 'failed' : 'pending');
      if (!final) throw error;
    }
  }

  private async send(delivery: NotificationDeliveryEntity, channel: NotificationChannelEntity | null): Promise<number | undefined> {
    if (delivery.channelType === 'email') {
      const mailer = this.mailTransport();
      if (!mailer) throw new Error('no SMTP server configured (SWITCHBOARD_SMTP_URL)');
      await mailer.sendMail({ from: this.config.SWITCHBOARD_SMTP_FROM, to: delivery.message.recipients, subject: delivery.message.subject, text: delivery.message.text });
      return undefined;
    }
    const secrets = channel?.sealedSecrets ? (JSON.parse(this.secrets.open(channel.sealedSecrets)) as { signingSecret?: string; headers?: Record<string, string>; url?: string }) : {};
    const url = delivery.channelType === 'slack' ? secrets.url : channel?.config.url;
    if (!url) throw new Error('the channel has no URL');
    // Checked again at delivery: DNS may have changed since the channel was saved.
    await checkOutgoingTarget(url, this.config.SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE);
    const rendered = { subject: delivery.message.subject, text: delivery.message.text, link: null };
    const body = delivery.channelType === 'slack'
      ? JSON.stringify(slackPayload({ ...rendered, link: delivery.executionId ? `${(this.config.SWITCHBOARD_PUBLIC_URL ?? 'http://localhost:3000').replace(/\/$/, '')}/executions/${delivery.executionId}` : null }))
      : JSON.stringify({ id: delivery.id, event: delivery.eventType, eventKey: delivery.eventKey, projectId: delivery.projectId, procedureId: delivery.procedureId, executionId: delivery.executionId, subject: delivery.message.subject, text: delivery.message.text });
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'Switchboard-Notifications/1', ...(secrets.headers ?? {}) };
    if (delivery.channelType === 'webhook' && secrets.signingSecret) {
      headers['x-switchboard-timestamp'] = timestamp;
      headers['x-switchboard-signature'] = `t=${timestamp},v1=${createHmac('sha256', secrets.signingSecret).update(`${timestamp}.${body}`).digest('hex')}`;
      headers['x-switchboard-delivery'] = delivery.id;
    }
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await readLimited(response);
    if (response.status < 200 || response.status >= 300) throw Object.assign(new Error(`the receiver answered ${response.status}`), { status: response.status });
    return response.status;
  }

  private mailTransport(): Transporter | null {
    if (this.mailer === undefined) {
      this.mailer = this.config.SWITCHBOARD_SMTP_URL
        ? nodemailer.createTransport(this.config.SWITCHBOARD_SMTP_URL, { connectionTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS } as never)
        : null;
    }
    return this.mailer;
  }

  private async record(delivery: NotificationDeliveryEntity, attempt: DeliveryAttempt, status: 'pending' | 'delivered' | 'failed'): Promise<void> {
    await this.tx.run(async (manager) => {
      await manager.query(
        `UPDATE notification_deliveries SET attempts = attempts || $2::jsonb, status = $3, delivered_at = CASE WHEN $3 = 'delivered' THEN now() ELSE delivered_at END WHERE id = $1`,
        [delivery.id, JSON.stringify([attempt]), status],
      );
      if (status !== 'pending') {
        await this.audit.record(manager, SYSTEM_ACTOR, {
          action: status === 'delivered' ? 'notification.delivered' : 'notification.failed', outcome: status === 'delivered' ? 'succeeded' : 'failed',
          resourceType: 'notification_delivery', resourceId: delivery.id, projectId: delivery.projectId, reason: attempt.error ?? null,
          details: { event: delivery.eventType, target: delivery.target, channelType: delivery.channelType, executionId: delivery.executionId, attempts: delivery.attempts.length + 1 },
        });
      }
    });
    if (status === 'failed') this.logger.warn({ deliveryId: delivery.id, error: attempt.error }, 'notification given up');
  }
}

function maskEmail(email: string): string {
  const [local, domain] = email.split('@');
  return `${local.slice(0, 2)}…@${domain ?? ''}`;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 500);
}

async function readLimited(response: Response): Promise<void> {
  if (!response.body) return;
  let read = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.byteLength;
    if (read > RESPONSE_LIMIT) {
      await reader.cancel();
      return;
    }
  }
}
