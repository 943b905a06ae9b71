import type { AccessScope } from './caller-ability';

export interface FilterColumns {
  projectId: string;
  procedureId: string;
  /** Column naming who owns the row (e.g. executions.triggered_by), for "own" permissions. */
  ownerId?: string;
  /** Overrides `procedureId = ANY(param)` where rows relate to procedures indirectly (e.g. projects). */
  procedureMatch?: (param: string) => string;
}

/** Adds a value under a name and answers the placeholder that stands for it in the SQL. */
type Bind = (name: string, value: unknown) => string;

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
  const sql = accessCondition(scopes, columns, userId, prefix, (name, value) => {
    params[name] = value;
    return `:${name}`;
  });
  return { sql, params };
}

/**
 * The same condition for hand-written SQL with positional parameters: its values are appended to
 * `values` and stand as `$n` in the text. The text depends only on the scopes' shape (which kinds
 * of grant exist), never on ids, so it suits a prepared statement.
 */
export function accessFilterSql(scopes: AccessScope[], columns: FilterColumns, userId: string, values: unknown[]): string {
  const placeholders = new Map<string, string>();
  return accessCondition(scopes, columns, userId, 'acl', (name, value) => {
    let placeholder = placeholders.get(name);
    if (placeholder === undefined) {
      values.push(value);
      placeholder = `$${values.length}`;
      placeholders.set(name, placeholder);
    }
    return placeholder;
  });
}

function accessCondition(scopes: AccessScope[], columns: FilterColumns, userId: string, prefix: string, bind: Bind): string {
  const alternatives: string[] = [];
  scopes.forEach((scope, index) => {
    const p = `${prefix}${index}`;
    const base = grantCondition(scope, columns, p, bind);
    const own = columns.ownerId ? grantCondition(scope.own, columns, `${p}_own`, bind) : null;
    const ownSql = own ? `(${own} AND ${columns.ownerId} = ${bind(`${prefix}_user`, userId)})` : null;
    let combined = [base, ownSql].filter((s): s is string => s !== null).join(' OR ');
    if (!combined) return;
    if (scope.restrict) {
      const projects = bind(`${p}_rproj`, scope.restrict.projectIds);
      const procedures = bind(`${p}_rproc`, scope.restrict.procedureIds);
      combined = `(${combined}) AND (${columns.projectId} = ANY(${projects}) OR ${procedureMatch(columns, procedures)})`;
    }
    alternatives.push(`(${combined})`);
  });
  return alternatives.length > 0 ? `(${alternatives.join(' OR ')})` : 'FALSE';
}

function grantCondition(
  grant: { everywhere: boolean; projectIds: string[]; procedureIds: string[] },
  columns: FilterColumns,
  p: string,
  bind: Bind,
): string | null {
  if (grant.everywhere) return 'TRUE';
  const parts: string[] = [];
  if (grant.projectIds.length > 0) parts.push(`${columns.projectId} = ANY(${bind(`${p}_proj`, grant.projectIds)})`);
  if (grant.procedureIds.length > 0) parts.push(procedureMatch(columns, bind(`${p}_proc`, grant.procedureIds)));
  return parts.length > 0 ? parts.join(' OR ') : null;
}

function procedureMatch(columns: FilterColumns, param: string): string {
  return columns.procedureMatch ? columns.procedureMatch(param) : `${columns.procedureId} = ANY(${param})`;
}
