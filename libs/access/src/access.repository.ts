import type { DataSource } from 'typeorm';
import { BUILT_IN_ROLES } from './built-in-roles';
import type { Grant } from './caller-ability';
import type { Permission } from './permission';

interface GrantRow {
  binding_id: string;
  role_name: string;
  scope_type: Grant['scopeType'];
  scope_id: string | null;
  subject_type: 'user' | 'team';
  subject_id: string;
  permissions: Permission[] | null;
}

/** Named queries over roles and bindings. */
export class AccessRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every binding that applies to a user, directly or through a team, with the role's permissions. */
  async grantsForUser(userId: string): Promise<Grant[]> {
    const rows: GrantRow[] = await this.dataSource.query(
      `SELECT b.id AS binding_id, b.role_name, b.scope_type, b.scope_id, b.subject_type, b.subject_id, r.permissions
         FROM role_bindings b
         LEFT JOIN roles r ON r.name = b.role_name
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
    }));
  }
}
