import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ExecutionEntity } from './execution.entity';

export type ApprovalDecision = 'approved' | 'rejected';

/** One person's decision on a run waiting for approval. A person decides a run at most once. */
@Entity({ name: 'execution_approvals' })
@Index('execution_approvals_once_key', ['executionId', 'decidedBy'], { unique: true })
export class ExecutionApprovalEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'execution_id', type: 'uuid' })
  executionId: string;

  @Column({ name: 'decided_by', type: 'uuid' })
  decidedBy: string;

  @Column({ name: 'decided_by_name', type: 'text' })
  decidedByName: string;

  @Column({ type: 'text' })
  decision: ApprovalDecision;

  @Column({ type: 'text', nullable: true })
  comment: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', default: () => 'now()' })
  decidedAt: Date;

  @ManyToOne(() => ExecutionEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'execution_id', foreignKeyConstraintName: 'execution_approvals_execution_fk' })
  execution?: ExecutionEntity;
}
