import type { AccessScope } from './caller-ability';

export interface FilterColumns {
  projectId: string;
  procedureId: string;
  /** Column naming who owns the row (e.g. executions.triggered_by), for "own" permissions. */
  ownerId?: string;
  /** Overrides `procedureId = ANY(param)` where rows relate to procedures indirectly (e.g. projects). */
  procedureMatch?: (param: string) => string;
}

/**
 * Turns an access scope into a SQL condition with named parameters, so lists filter in the
 * database by the same rules the ability checks: nobody can page through what they may not read.
 */
export function accessFilter(
  scopes: AccessScope[],
  columns: FilterColumns,
  userId: string,
  prefix = 'acl',
): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { [`${prefix}_user`]: userId };
  const alternatives: string[] = [];
  scopes.forEach((scope, index) => {
    const p = `${prefix}${index}`;
    const base = grantCondition(scope, columns, p, params);
    const own = columns.ownerId ? grantCondition(scope.own, columns, `${p}_own`, params) : null;
    const ownSql = own ? `(${own} AND ${columns.ownerId} = :${prefix}_user)` : null;
    let combined = [base, ownSql].filter((s): s is string => s !== null).join(' OR ');
    if (!combined) return;
    if (scope.restrict) {
      params[`${p}_rproj`] = scope.restrict.projectIds;
      params[`${p}_rproc`] = scope.restrict.procedureIds;
      combined = `(${combined}) AND (${columns.projectId} = ANY(:${p}_rproj) OR ${procedureMatch(columns, `:${p}_rproc`)})`;
    }
    alternatives.push(`(${combined})`);
  });
  return { sql: alternatives.length > 0 ? `(${alternatives.join(' OR ')})` : 'FALSE', params };
}

function grantCondition(
  grant: { everywhere: boolean; projectIds: string[]; procedureIds: string[] },
  columns: FilterColumns,
  p: string,
  params: Record<string, unknown>,
): string | null {
  if (grant.everywhere) return 'TRUE';
  const parts: string[] = [];
  if (grant.projectIds.length > 0) {
    params[`${p}_proj`] = grant.projectIds;
    parts.push(`${columns.projectId} = ANY(:${p}_proj)`);
  }
  if (grant.procedureIds.length > 0) {
    params[`${p}_proc`] = grant.procedureIds;
    parts.push(procedureMatch(columns, `:${p}_proc`));
  }
  return parts.length > 0 ? parts.join(' OR ') : null;
}

function procedureMatch(columns: FilterColumns, param: string): string {
  return columns.procedureMatch ? columns.procedureMatch(param) : `${columns.procedureId} = ANY(${param})`;
}
