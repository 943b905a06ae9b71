import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A worker process's heartbeat. Running executions of a worker whose heartbeat stops end as worker_lost. */
@Entity({ name: 'workers' })
export class WorkerEntity {
  @PrimaryColumn({ type: 'text' })
  id: string;

  @Column({ type: 'text' })
  hostname: string;

  @Column({ type: 'int' })
  pid: number;

  @Column({ type: 'text', array: true })
  groups: string[];

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz' })
  lastSeenAt: Date;

  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true })
  stoppedAt: Date | null;
}
