import type { NotificationEvent } from './notification-event';

export interface RenderedMessage {
  subject: string;
  text: string;
  link: string | null;
}

const TITLES: Record<NotificationEvent['type'], string> = {
  started: 'started',
  succeeded: 'succeeded',
  failed: 'FAILED',
  timed_out: 'TIMED OUT',
  canceled: 'was canceled',
  worker_lost: 'lost its worker',
  rejected: 'was rejected',
  approval_requested: 'needs approval',
  approval_decided: 'approval decided',
  version_submitted: 'version submitted for review',
  version_approved: 'version approved',
};

/** Subject and body of a notification, from one template per event type. Links go to the web app. */
export function renderMessage(event: NotificationEvent, publicUrl: string | undefined): RenderedMessage {
  const base = (publicUrl ?? 'http://localhost:3000').replace(/\/$/, '');
  const link = event.execution ? `${base}/executions/${event.execution.id}` : event.version ? `${base}/procedures/${event.procedureId}/versions/${event.version.number}` : null;
  const subject = `[switchboard] ${event.procedureName} ${TITLES[event.type]}`;
  const lines: string[] = [];
  if (event.execution) {
    const e = event.execution;
    lines.push(`Procedure: ${event.procedureName} (version ${e.version})`, `Run: ${e.id}`, `Status: ${e.status}`, `Requested by: ${e.triggeredBy}`);
    const params = Object.entries(e.params);
    if (params.length > 0) lines.push('Parameters:', ...params.map(([name, value]) => `  ${name} = ${typeof value === 'string' ? value : JSON.stringify(value)}`));
    if (e.reason) lines.push(`Reason: ${e.reason}`);
  }
  if (event.version) lines.push(`Procedure: ${event.procedureName}`, `Version: ${event.version.number} by ${event.version.author}`);
  if (event.actor) lines.push(`By: ${event.actor}`);
  if (event.comment) lines.push(`Comment: ${event.comment}`);
  lines.push(`When: ${event.occurredAt}`);
  if (link) lines.push('', link);
  return { subject, text: lines.join('\n'), link };
}

/** Slack incoming-webhook payload with readable blocks (text is escaped for Slack's mrkdwn). */
export function slackPayload(message: RenderedMessage): Record<string, unknown> {
  const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    text: message.subject,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: message.subject.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: '```' + escape(message.text.slice(0, 2800)) + '```' } },
      ...(message.link ? [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Switchboard' }, url: message.link }] }] : []),
    ],
  };
}
