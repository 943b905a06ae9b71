import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  at: string;
  ok: boolean;
  durationMs: number;
  status?: number;
  error?: string;
}

/** One message to one target for one event: created once (idempotent), attempted until delivered or given up. */
@Entity({ name: 'notification_deliveries' })
@Index('notification_deliveries_once_key', ['eventKey', 'targetKey'], { unique: true })
@Index('notification_deliveries_execution_idx', ['executionId', 'createdAt'])
@Index('notification_deliveries_project_idx', ['projectId', 'createdAt'])
export class NotificationDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'event_key', type: 'text' })
  eventKey: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  /** `channel:<id>` or `owner:<user id>`. */
  @Column({ name: 'target_key', type: 'text' })
  targetKey: string;

  @Column({ name: 'channel_id', type: 'uuid', nullable: true })
  channelId: string | null;

  @Column({ name: 'channel_type', type: 'text' })
  channelType: string;

  /** Who or where, for people reading the delivery list (channel name or masked address). */
  @Column({ type: 'text' })
  target: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId: string;

  @Column({ name: 'procedure_id', type: 'uuid', nullable: true })
  procedureId: string | null;

  @Column({ name: 'execution_id', type: 'uuid', nullable: true })
  executionId: string | null;

  @Column({ type: 'text' })
  status: DeliveryStatus;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  attempts: DeliveryAttempt[];

  /** The rendered message (no secrets ever reach it). */
  @Column({ type: 'jsonb' })
  message: { subject: string; text: string; recipients?: string[] };

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
