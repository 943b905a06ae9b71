import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The single row holding the end of the sealed chain; only the sealer locks it. */
@Entity({ name: 'audit_chain_head' })
@Check('audit_chain_head_single_row', 'id = 1')
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'int' })
  id: number;

  /** Chain position of the last sealed event (0: nothing sealed yet). */
  @Column({ name: 'last_chain_seq', type: 'bigint', default: 0 })
  lastChainSeq: string;

  /** (last_xid, last_seq): the chain-order key of the last sealed event. */
  @Column({ name: 'last_xid', type: 'bigint', default: 0 })
  lastXid: string;

  @Column({ name: 'last_seq', type: 'bigint' })
  lastSeq: string;

  @Column({ name: 'last_hash', type: 'text' })
  lastHash: string;
}
