import { Column, Entity, PrimaryColumn } from 'typeorm';

export type LogStream = 'stdout' | 'stderr' | 'system';

/** One line of an execution's output, numbered from 1 without gaps. */
@Entity({ name: 'execution_logs' })
export class ExecutionLogEntity {
  @PrimaryColumn({ name: 'execution_id', type: 'uuid' })
  executionId: string;

  @PrimaryColumn({ type: 'int' })
  seq: number;

  @Column({ type: 'timestamptz' })
  ts: Date;

  @Column({ type: 'text' })
  stream: LogStream;

  @Column({ type: 'text', nullable: true })
  step: string | null;

  @Column({ type: 'text' })
  text: string;
}
