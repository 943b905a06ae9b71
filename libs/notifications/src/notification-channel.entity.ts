import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ChannelType = 'email' | 'webhook' | 'slack';

/** Where notifications of a project go. Secrets (signing secret, Slack URL, header values) are sealed. */
@Entity({ name: 'notification_channels' })
@Index('notification_channels_name_key', ['projectId', 'name'], { unique: true })
export class NotificationChannelEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'project_id', type: 'uuid' })
  projectId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  type: ChannelType;

  /** Non-secret settings: email recipients; webhook URL. */
  @Column({ type: 'jsonb' })
  config: { to?: string[]; url?: string; headerNames?: string[] };

  /** Sealed JSON: webhook signing secret and header values, or the Slack incoming-webhook URL. */
  @Column({ name: 'sealed_secrets', type: 'text', nullable: true })
  sealedSecrets: string | null;

  /** Project defaults: events this channel receives for every procedure of the project. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  events: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
