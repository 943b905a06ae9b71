import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';

/**
 * An event's link in the hash chain: its position, the hash of the event before it and its own
 * hash over the canonical encoding (audit-chain.ts). Insert-only, like audit_events; written by
 * the AuditSealer a moment after the event's own transaction commits.
 */
@Entity({ name: 'audit_seals' })
@Unique('audit_seals_event_seq_key', ['eventSeq'])
export class AuditSealEntity {
  /** 1, 2, 3 … without gaps: a missing number is a deleted link. */
  @PrimaryColumn({ name: 'chain_seq', type: 'bigint' })
  chainSeq: string;

  @Column({ name: 'event_seq', type: 'bigint' })
  eventSeq: string;

  @Column({ name: 'prev_hash', type: 'text' })
  prevHash: string;

  @Column({ type: 'text' })
  hash: string;

  @Column({ name: 'sealed_at', type: 'timestamptz', default: () => 'now()' })
  sealedAt: Date;
}
