import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ProcedureEntity } from './procedure.entity';
import type { ProcedureDefinition } from './definition';

export type VersionStatus = 'draft' | 'in_review' | 'active' | 'rejected' | 'superseded';

/** An immutable version of a procedure's definition. Executions pin the version they ran. */
@Entity({ name: 'procedure_versions' })
@Index('procedure_versions_number_key', ['procedureId', 'version'], { unique: true })
export class ProcedureVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'procedure_id', type: 'uuid' })
  procedureId: string;

  @Column({ type: 'int' })
  version: number;

  @Column({ type: 'text' })
  status: VersionStatus;

  /** The normalized definition (defaults filled, durations in seconds). */
  @Column({ type: 'jsonb' })
  definition: ProcedureDefinition;

  /** The text as submitted (YAML or JSON), for export and diff. */
  @Column({ type: 'text' })
  source: string;

  @Column({ name: 'parameter_schema', type: 'jsonb' })
  parameterSchema: Record<string, unknown>;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @Column({ name: 'created_by_name', type: 'text', default: '' })
  createdByName: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'decided_by', type: 'uuid', nullable: true })
  decidedBy: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt: Date | null;

  @Column({ name: 'decision_comment', type: 'text', nullable: true })
  decisionComment: string | null;

  @ManyToOne(() => ProcedureEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'procedure_id', foreignKeyConstraintName: 'procedure_versions_procedure_fk' })
  procedure?: ProcedureEntity;
}
