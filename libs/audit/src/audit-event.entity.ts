import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type AuditOutcome = 'allowed' | 'denied' | 'succeeded' | 'failed';

/**
 * One append-only audit event. The database refuses UPDATE and DELETE on this table. Its place in
 * the hash chain (previous hash, own hash, chain position) is written after commit by the
 * AuditSealer into audit_seals, so writers never wait for one another.
 */
@Entity({ name: 'audit_events' })
@Unique('audit_events_id_key', ['id'])
@Index('audit_events_occurred_at_idx', ['occurredAt'])
// Workers and the system act without an id: a filter `actor_id = $1` never matches them, so they are not indexed.
@Index('audit_events_actor_idx', ['actorId', 'seq'], { where: 'actor_id IS NOT NULL' })
@Index('audit_events_actor_name_idx', ['actorName', 'seq'])
// (action text_pattern_ops, seq), created by hand: it serves the exact action (`=` is in that
// operator class) as well as the prefix (LIKE 'run.%').
@Index('audit_events_action_prefix_idx', { synchronize: false })
@Index('audit_events_resource_idx', ['resourceType', 'resourceId', 'seq'])
@Index('audit_events_project_idx', ['projectId', 'seq'])
// Most events succeed; a page of succeeded ones is dense in seq order and read from the primary key.
@Index('audit_events_outcome_idx', ['outcome', 'seq'], { where: "outcome <> 'succeeded'" })
@Index('audit_events_chain_order_idx', ['xid', 'seq'])
export class AuditEventEntity {
  /** Insertion order, from a sequence: listing and cursors use it. Rolled-back transactions leave gaps. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq: string;

  /**
   * The writing transaction's id. The sealer chains events in (xid, seq) order, and only those of
   * transactions older than every running one, so no event can later appear before the chain's end.
   */
  @Column({ type: 'bigint', default: () => 'audit_current_xid()' })
  xid: string;

  @Column({ type: 'uuid' })
  id: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Column({ name: 'actor_type', type: 'text' })
  actorType: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ name: 'actor_name', type: 'text' })
  actorName: string;

  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @Column({ name: 'token_id', type: 'uuid', nullable: true })
  tokenId: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId: string | null;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'resource_type', type: 'text', nullable: true })
  resourceType: string | null;

  @Column({ name: 'resource_id', type: 'text', nullable: true })
  resourceId: string | null;

  @Column({ name: 'project_id', type: 'uuid', nullable: true })
  projectId: string | null;

  @Column({ type: 'text' })
  outcome: AuditOutcome;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;
}
