/**
 * Preloaded (`-r`) into extra api processes by `BENCH_ACCESS_WHAT_IF=1 npm run bench:access`: run-time
 * stand-ins for the changes bench/ACCESS.md suggests, so their effect is measured, not guessed.
 * They patch prototypes of the product's classes in that process only; no product file changes.
 * BENCH_ACCESS_WHAT_IF_PATCHES lists them, comma-separated:
 *   token-cache   authenticateToken remembers a resolved bearer token for 5 s (the suggested cache
 *                 would also be dropped on revoke/disable through Redis, as GrantCache is)
 *   prepared      SELECTs with parameters become named prepared statements (parsed and planned once
 *                 per connection; PostgreSQL may then reuse a generic plan)
 *   raw-list      ProcedureService.list as one hand-written SQL of the 7 columns the catalog returns,
 *                 instead of the TypeORM query builder and entity mapping
 *   permissions-memo  permissionsOf computed once per project (per procedure where procedure-scoped
 *                 grants or token scopes exist) within a request
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { accessFilter, type CallerAbility } from '@switchboard/access';
import { AuthenticationService } from '@switchboard/identity';
import { ProcedureService } from '@switchboard/procedures';

type Patched<T> = T & Record<string, unknown>;
const patches = new Set((process.env.BENCH_ACCESS_WHAT_IF_PATCHES ?? '').split(',').map((p) => p.trim()).filter(Boolean));

if (patches.has('token-cache')) {
  const original = AuthenticationService.prototype.authenticateToken;
  const cache = new Map<string, { caller: Awaited<ReturnType<typeof original>>; expiresAt: number }>();
  AuthenticationService.prototype.authenticateToken = async function authenticateToken(this: AuthenticationService, bearer: string) {
    const hit = cache.get(bearer);
    if (hit && hit.expiresAt > Date.now()) return hit.caller;
    const caller = await original.call(this, bearer);
    if (caller) cache.set(bearer, { caller, expiresAt: Date.now() + 5_000 });
    return caller;
  };
}

if (patches.has('prepared')) {
  const prototype = Client.prototype as Patched<typeof Client.prototype>;
  const original = prototype.query as (...args: unknown[]) => unknown;
  prototype.query = function query(this: Client, config: unknown, values?: unknown, callback?: unknown): unknown {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0 && /^\s*SELECT\b/i.test(config)) {
      const name = `bench_${createHash('sha1').update(config).digest('hex').slice(0, 20)}`;
      return original.call(this, { name, text: config, values }, callback);
    }
    return original.call(this, config, values, callback);
  } as typeof prototype.query;
}

if (patches.has('raw-list')) {
  ProcedureService.prototype.list = async function list(
    this: ProcedureService,
    ability: CallerAbility,
    filter: { projectId?: string; q?: string; limit: number; after?: { name: string; id: string } | null },
  ) {
    const acl = accessFilter([ability.scopeFor('read', 'Procedure'), ability.scopeFor('run', 'Procedure')], { projectId: 'p.project_id', procedureId: 'p.id' }, ability.userId);
    const values: unknown[] = [];
    const bind = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const positions = new Map<string, string>();
    let where = acl.sql.replace(/:(\w+)/g, (_match, name: string) => {
      if (!positions.has(name)) positions.set(name, bind(acl.params[name]));
      return positions.get(name) as string;
    });
    if (filter.projectId) where += ` AND p.project_id = ${bind(filter.projectId)}`;
    if (filter.q) where += ` AND (p.name ILIKE ${bind(`%${filter.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`)} ESCAPE '\\' OR p.description ILIKE $${values.length} ESCAPE '\\')`;
    if (filter.after) where += ` AND (p.name, p.id) > (${bind(filter.after.name)}, ${bind(filter.after.id)})`;
    const dataSource = (this as unknown as { dataSource: { query(sql: string, values: unknown[]): Promise<Array<Record<string, unknown>>> } }).dataSource;
    const rows = await dataSource.query(
      `SELECT p.id, p.project_id, p.name, p.description, p.active_version, p.updated_at, pr.name AS project_name
         FROM procedures p JOIN projects pr ON pr.id = p.project_id
        WHERE p.archived_at IS NULL AND ${where}
        ORDER BY p.name, p.id LIMIT ${bind(filter.limit)}`,
      values,
    );
    return rows.map((r) => ({
      id: r.id, projectId: r.project_id, name: r.name, description: r.description, activeVersion: r.active_version, updatedAt: r.updated_at, projectName: r.project_name,
    })) as unknown as Awaited<ReturnType<ProcedureService['list']>>;
  };
}

if (patches.has('permissions-memo')) {
  const original = ProcedureService.prototype.permissionsOf;
  const memo = new WeakMap<CallerAbility, Map<string, ReturnType<typeof original>>>();
  ProcedureService.prototype.permissionsOf = function permissionsOf(this: ProcedureService, ability, procedure) {
    const perProcedure = ability.grants.some((g) => g.scopeType === 'procedure') || (ability.tokenScopes ?? []).some((s) => s.id);
    const key = perProcedure ? `${procedure.projectId}/${procedure.id}` : procedure.projectId;
    let known = memo.get(ability);
    if (!known) {
      known = new Map();
      memo.set(ability, known);
    }
    let permissions = known.get(key);
    if (!permissions) {
      permissions = original.call(this, ability, procedure);
      known.set(key, permissions);
    }
    return permissions;
  };
}
