import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The single row holding the last sequence number and hash; locked by each writer until commit. */
@Entity({ name: 'audit_chain_head' })
@Check('audit_chain_head_single_row', 'id = 1')
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'int' })
  id: number;

  @Column({ name: 'last_seq', type: 'bigint' })
  lastSeq: string;

  @Column({ name: 'last_hash', type: 'text' })
  lastHash: string;

  /** Events are stamped no earlier than this, so time order equals sequence order (time ranges become seq ranges). */
  @Column({ name: 'last_occurred_at', type: 'timestamptz', default: () => "'-infinity'" })
  lastOccurredAt: Date;
}
