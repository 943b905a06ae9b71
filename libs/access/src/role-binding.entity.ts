import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { RoleEntity } from './role.entity';

export type BindingSubjectType = 'user' | 'team';
export type BindingScopeType = 'global' | 'project' | 'procedure';

/** Gives a role to a user or a team at a scope: everywhere, one project, or one procedure. */
@Entity({ name: 'role_bindings' })
@Check('role_bindings_scope_check', `(scope_type = 'global') = (scope_id IS NULL)`)
@Check('role_bindings_subject_type_check', `subject_type IN ('user', 'team')`)
@Check('role_bindings_scope_type_check', `scope_type IN ('global', 'project', 'procedure')`)
@Index('role_bindings_subject_idx', ['subjectType', 'subjectId'])
export class RoleBindingEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'subject_type', type: 'text' })
  subjectType: BindingSubjectType;

  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId: string;

  @Column({ name: 'role_name', type: 'text' })
  roleName: string;

  @Column({ name: 'scope_type', type: 'text' })
  scopeType: BindingScopeType;

  @Column({ name: 'scope_id', type: 'uuid', nullable: true })
  scopeId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @ManyToOne(() => RoleEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'role_name', foreignKeyConstraintName: 'role_bindings_role_fk' })
  role?: RoleEntity;
}
