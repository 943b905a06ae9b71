import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A project groups procedures, secrets, channels and the bindings that govern them. */
@Entity({ name: 'projects' })
@Index('projects_name_key', ['name'], { unique: true })
export class ProjectEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  /** An author's new version must be approved by someone else before it becomes active. */
  @Column({ name: 'require_review', type: 'boolean', default: false })
  requireReview: boolean;

  /** Runners see only their own executions in this project. */
  @Column({ name: 'runners_see_own_runs_only', type: 'boolean', default: false })
  runnersSeeOwnRunsOnly: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
