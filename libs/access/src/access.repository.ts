import type { DataSource } from 'typeorm';
import { BUILT_IN_ROLES } from './built-in-roles';
import type { Grant, ObjectAttributes } from './caller-ability';
import type { Permission } from './permission';

interface GrantRow {
  binding_id: string;
  role_name: string;
  scope_type: Grant['scopeType'];
  scope_id: string | null;
  subject_type: 'user' | 'team';
  subject_id: string;
  permissions: Permission[] | null;
  restricts_runners: boolean | null;
}

/** Named queries over roles and bindings. */
export class AccessRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every binding that applies to a user, directly or through a team, with the role's permissions. */
  async grantsForUser(userId: string): Promise<Grant[]> {
    const rows: GrantRow[] = await this.dataSource.query(
      `SELECT b.id AS binding_id, b.role_name, b.scope_type, b.scope_id, b.subject_type, b.subject_id, r.permissions,
              pj.runners_see_own_runs_only AS restricts_runners
         FROM role_bindings b
         LEFT JOIN roles r ON r.name = b.role_name
         LEFT JOIN procedures pc ON b.scope_type = 'procedure' AND pc.id = b.scope_id
         LEFT JOIN projects pj ON pj.id = CASE WHEN b.scope_type = 'project' THEN b.scope_id ELSE pc.project_id END
        WHERE (b.subject_type = 'user' AND b.subject_id = $1)
           OR (b.subject_type = 'team' AND b.subject_id IN (SELECT team_id FROM team_members WHERE user_id = $1))`,
      [userId],
    );
    return rows.map((row) => ({
      bindingId: row.binding_id,
      roleName: row.role_name,
      scopeType: row.scope_type,
      scopeId: row.scope_id,
      via: { type: row.subject_type, id: row.subject_id },
      permissions: row.permissions ?? BUILT_IN_ROLES[row.role_name]?.permissions ?? [],
      projectRestrictsRunners: row.restricts_runners === true,
    }));
  }

  /** The attributes access rules match on, for one object of a subject type; null if it does not exist. */
  async objectAttributes(subject: string, id: string): Promise<ObjectAttributes | null> {
    const queries: Record<string, string> = {
      Project: 'SELECT id AS project_id, NULL::uuid AS procedure_id, NULL::uuid AS owner_id FROM projects WHERE id = $1',
      Procedure: 'SELECT project_id, id AS procedure_id, NULL::uuid AS owner_id FROM procedures WHERE id = $1',
      Execution: 'SELECT project_id, procedure_id, triggered_by AS owner_id FROM executions WHERE id = $1',
    };
    const sql = queries[subject];
    if (!sql) return { projectId: null, procedureId: null };
    const [row] = (await this.dataSource.query(sql, [id])) as Array<{ project_id: string; procedure_id: string | null; owner_id: string | null }>;
    return row ? { projectId: row.project_id, procedureId: row.procedure_id, ownerId: row.owner_id } : null;
  }
}
