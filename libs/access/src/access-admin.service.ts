import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type Actor, ConflictError, ForbiddenError, InvalidError, NotFoundError, TransactionRunner } from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import { BUILT_IN_ROLES } from './built-in-roles';
import { accessFilterSql, type FilterColumns } from './access-filter';
import type { CallerAbility, ObjectAttributes } from './caller-ability';
import { GrantCache } from './grant-cache';
import { RoleEntity } from './role.entity';
import { RoleBindingEntity } from './role-binding.entity';
import type { CreateBindingInput, CreateRoleInput } from './access.schema';
import type { SubjectType } from './permission';

export interface BindingView {
  id: string;
  subject: { type: string; id: string; name: string | null };
  role: string;
  scope: { type: string; id: string | null; name: string | null };
  createdAt: string;
}

interface BindingRow {
  id: string;
  subject_type: string;
  subject_id: string;
  subject_name: string | null;
  role_name: string;
  scope_type: string;
  scope_id: string | null;
  scope_name: string | null;
  project_id: string | null;
  created_at: Date;
}

/** Roles and role bindings: who may do what where. Granting is itself a permission. */
@Injectable()
export class AccessAdminService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
    private readonly grants: GrantCache,
  ) {}

  listRoles(): Promise<RoleEntity[]> {
    return this.dataSource.getRepository(RoleEntity).find({ order: { isBuiltIn: 'DESC', name: 'ASC' } });
  }

  async createRole(actor: Actor, input: CreateRoleInput): Promise<RoleEntity> {
    if (BUILT_IN_ROLES[input.name]) throw new ConflictError(`${input.name} is a built-in role`);
    const role = await this.tx.run(async (manager) => {
      const repo = manager.getRepository(RoleEntity);
      if (await repo.findOneBy({ name: input.name })) throw new ConflictError(`role ${input.name} exists`);
      const saved = await repo.save(repo.create({ ...input, isBuiltIn: false }));
      await this.audit.record(manager, actor, { action: 'role.created', outcome: 'succeeded', resourceType: 'role', resourceId: saved.name, details: { after: input } });
      return saved;
    });
    return role;
  }

  /** Bindings the caller may see: all with read on RoleBinding everywhere; else those in their scopes. */
  async listBindings(ability: CallerAbility, filter: { subjectId?: string; scopeId?: string }): Promise<BindingView[]> {
    // Filtered in SQL by the caller's read scope (a narrowed token's limits included), like every other list.
    return (await this.bindingRows(this.dataSource.manager, filter, ability)).map(toBindingView);
  }

  async createBinding(actor: Actor, ability: CallerAbility, input: CreateBindingInput): Promise<BindingView> {
    const created = await this.tx.run(async (manager) => {
      const role = await manager.getRepository(RoleEntity).findOneBy({ name: input.role });
      if (!role) throw new InvalidError('invalid binding', [{ field: 'role', message: 'is not a known role' }]);
      await this.assertSubjectExists(manager, input.subject);
      const scopeAttrs = await this.scopeAttributes(manager, input.scope);
      if (!ability.can('grant', 'RoleBinding', scopeAttrs)) throw new ForbiddenError('you may not grant roles at this scope');
      // Nobody grants more than they hold: every permission of the role must be the granter's here.
      for (const permission of role.permissions) {
        const subject = permission.subject as SubjectType;
        const allowed = subject === 'all' ? ability.isAdmin : ability.can(permission.action, subject, scopeAttrs);
        if (!allowed) throw new ForbiddenError(`you may not grant ${role.name}: it includes ${permission.action} on ${permission.subject}, which you do not hold at this scope`);
      }
      const duplicate = await manager.query(
        `SELECT 1 FROM role_bindings WHERE subject_type = $1 AND subject_id = $2 AND role_name = $3 AND scope_type = $4 AND scope_id IS NOT DISTINCT FROM $5`,
        [input.subject.type, input.subject.id, input.role, input.scope.type, input.scope.id ?? null],
      ) as unknown[];
      if (duplicate.length > 0) throw new ConflictError('this binding exists');
      const repo = manager.getRepository(RoleBindingEntity);
      const binding = await repo.save(repo.create({
        subjectType: input.subject.type, subjectId: input.subject.id, roleName: input.role, scopeType: input.scope.type, scopeId: input.scope.id ?? null, createdBy: actor.id,
      }));
      const [row] = await this.bindingRows(manager, { id: binding.id });
      await this.audit.record(manager, actor, {
        action: 'role_binding.created', outcome: 'succeeded', resourceType: 'role_binding', resourceId: binding.id,
        projectId: row.project_id, details: { after: toBindingView(row) },
      });
      return row;
    });
    await this.grants.invalidate(input.subject.type === 'user' ? input.subject.id : '*');
    return toBindingView(created);
  }

  async deleteBinding(actor: Actor, ability: CallerAbility, id: string): Promise<void> {
    const removed = await this.tx.run(async (manager) => {
      const [row] = await this.bindingRows(manager, { id });
      if (!row || !ability.can('read', 'RoleBinding', this.attributesOf(row))) throw new NotFoundError('role binding');
      if (!ability.can('grant', 'RoleBinding', this.attributesOf(row))) throw new ForbiddenError('you may not revoke bindings at this scope');
      await manager.delete(RoleBindingEntity, { id });
      await this.audit.record(manager, actor, {
        action: 'role_binding.deleted', outcome: 'succeeded', resourceType: 'role_binding', resourceId: id, projectId: row.project_id,
        details: { before: toBindingView(row) },
      });
      return row;
    });
    await this.grants.invalidate(removed.subject_type === 'user' ? removed.subject_id : '*');
  }

  private attributesOf(row: BindingRow): ObjectAttributes {
    return { projectId: row.project_id, procedureId: row.scope_type === 'procedure' ? row.scope_id : null };
  }

  private async scopeAttributes(manager: EntityManager, scope: CreateBindingInput['scope']): Promise<ObjectAttributes> {
    if (scope.type === 'global') return { projectId: null, procedureId: null };
    if (scope.type === 'project') {
      const rows = (await manager.query('SELECT id FROM projects WHERE id = $1', [scope.id])) as unknown[];
      if (rows.length === 0) throw new InvalidError('invalid binding', [{ field: 'scope.id', message: 'is not a known project' }]);
      return { projectId: scope.id, procedureId: null };
    }
    const [procedure] = (await manager.query('SELECT project_id FROM procedures WHERE id = $1', [scope.id])) as Array<{ project_id: string }>;
    if (!procedure) throw new InvalidError('invalid binding', [{ field: 'scope.id', message: 'is not a known procedure' }]);
    return { projectId: procedure.project_id, procedureId: scope.id };
  }

  private async assertSubjectExists(manager: EntityManager, subject: CreateBindingInput['subject']): Promise<void> {
    const table = subject.type === 'user' ? 'users' : 'teams';
    const rows = (await manager.query(`SELECT 1 FROM ${table} WHERE id = $1`, [subject.id])) as unknown[];
    if (rows.length === 0) throw new InvalidError('invalid binding', [{ field: 'subject.id', message: `is not a known ${subject.type}` }]);
  }

  /** `readableBy`: only the bindings that caller may read. */
  private bindingRows(manager: EntityManager, filter: { id?: string; subjectId?: string; scopeId?: string }, readableBy?: CallerAbility): Promise<BindingRow[]> {
    const values: unknown[] = [filter.id ?? null, filter.subjectId ?? null, filter.scopeId ?? null];
    const readable = readableBy ? accessFilterSql([readableBy.scopeFor('read', 'RoleBinding')], BINDING_COLUMNS, readableBy.userId, values) : 'TRUE';
    return manager.query(
      `SELECT b.id, b.subject_type, b.subject_id, COALESCE(u.username, t.name) AS subject_name, b.role_name, b.scope_type, b.scope_id,
              COALESCE(pj.name, pc.name) AS scope_name, CASE WHEN b.scope_type = 'project' THEN b.scope_id ELSE pc.project_id END AS project_id,
              b.created_at
         FROM role_bindings b
         LEFT JOIN users u ON b.subject_type = 'user' AND u.id = b.subject_id
         LEFT JOIN teams t ON b.subject_type = 'team' AND t.id = b.subject_id
         LEFT JOIN projects pj ON b.scope_type = 'project' AND pj.id = b.scope_id
         LEFT JOIN procedures pc ON b.scope_type = 'procedure' AND pc.id = b.scope_id
        WHERE ($1::uuid IS NULL OR b.id = $1) AND ($2::uuid IS NULL OR b.subject_id = $2) AND ($3::uuid IS NULL OR b.scope_id = $3)
          AND ${readable}
        ORDER BY b.created_at LIMIT 5000`,
      values,
    );
  }
}

/** A binding's place for access filters: its project (direct, or its procedure's) and its procedure. */
const BINDING_COLUMNS: FilterColumns = {
  projectId: `(CASE WHEN b.scope_type = 'project' THEN b.scope_id ELSE pc.project_id END)`,
  procedureId: 'b.scope_id',
  procedureMatch: (param) => `(b.scope_type = 'procedure' AND b.scope_id = ANY(${param}))`,
};

function toBindingView(row: BindingRow): BindingView {
  return {
    id: row.id,
    subject: { type: row.subject_type, id: row.subject_id, name: row.subject_name },
    role: row.role_name,
    scope: { type: row.scope_type, id: row.scope_id, name: row.scope_name },
    createdAt: new Date(row.created_at).toISOString(),
  };
}
