import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type Actor, redactSecrets } from '@switchboard/core';
import { hashEvent, type ChainedEvent } from './audit-chain';
import type { AuditOutcome } from './audit-event.entity';

export interface AuditRecord {
  action: string;
  outcome: AuditOutcome;
  resourceType?: string | null;
  resourceId?: string | null;
  projectId?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

/**
 * Appends events to the hash chain inside the caller's transaction. The chain head row is locked
 * FOR UPDATE until commit, which orders concurrent writers from any number of processes; so the
 * audit write should be the last statement of a transaction, keeping the lock short.
 */
export class AuditWriter {
  async record(manager: EntityManager, actor: Actor, record: AuditRecord): Promise<{ id: string; seq: string }> {
    const heads: Array<{ last_seq: string; last_hash: string; last_occurred_at: Date }> = await manager.query(
      'SELECT last_seq, last_hash, last_occurred_at FROM audit_chain_head WHERE id = 1 FOR UPDATE',
    );
    const head = heads[0];
    const seq = (BigInt(head.last_seq) + 1n).toString();
    // Never earlier than the previous event, whatever the clocks of many machines say: time order
    // then equals sequence order, and a time range can be answered as a seq range.
    const now = new Date();
    const previous = head.last_occurred_at instanceof Date && Number.isFinite(head.last_occurred_at.getTime()) ? head.last_occurred_at : null;
    const occurredAt = previous && previous > now ? previous : now;
    const event: ChainedEvent = {
      seq,
      id: randomUUID(),
      occurredAt: occurredAt.toISOString(),
      actorType: actor.type,
      actorId: actor.id,
      actorName: sanitize(actor.name) ?? 'unknown',
      ip: actor.ip ?? null,
      userAgent: sanitize(actor.userAgent?.slice(0, 512)) ?? null,
      tokenId: actor.tokenId ?? null,
      requestId: actor.requestId ?? null,
      action: record.action,
      resourceType: record.resourceType ?? null,
      resourceId: record.resourceId ?? null,
      projectId: record.projectId ?? null,
      outcome: record.outcome,
      reason: sanitize(record.reason?.slice(0, 2000)) ?? null,
      // Round-trip through JSON so what is hashed is exactly what jsonb stores and returns.
      details: JSON.parse(JSON.stringify(redactSecrets(record.details ?? {}), (_key, value: unknown) => (typeof value === 'string' ? sanitize(value) : value))),
      prevHash: head.last_hash,
    };
    const hash = hashEvent(event);
    await manager.query(
      `WITH inserted AS (
         INSERT INTO audit_events (seq, id, occurred_at, actor_type, actor_id, actor_name, ip, user_agent, token_id,
           request_id, action, resource_type, resource_id, project_id, outcome, reason, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
       )
       UPDATE audit_chain_head SET last_seq = $1, last_hash = $19, last_occurred_at = $3 WHERE id = 1`,
      [
        seq, event.id, event.occurredAt, event.actorType, event.actorId, event.actorName, event.ip, event.userAgent,
        event.tokenId, event.requestId, event.action, event.resourceType, event.resourceId, event.projectId,
        event.outcome, event.reason, JSON.stringify(event.details), event.prevHash, hash,
      ],
    );
    return { id: event.id, seq };
  }
}

/** PostgreSQL text cannot hold NUL; strip it so hashing sees what is stored. */
function sanitize(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? value.replaceAll('\u0000', '') : value;
}
