import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { queryPrepared } from '@switchboard/core';
import { accessFilterSql, type CallerAbility } from '@switchboard/access';

/** One line of the catalog: what the list shows of a procedure, nothing more. */
export interface CatalogEntry {
  id: string;
  projectId: string;
  projectName: string;
  name: string;
  description: string;
  activeVersion: number | null;
  updatedAt: Date;
}

export interface CatalogFilter {
  projectId?: string;
  q?: string;
  limit: number;
  after?: { name: string; id: string } | null;
}

interface CatalogRow {
  id: string;
  project_id: string;
  project_name: string;
  name: string;
  description: string;
  active_version: number | null;
  updated_at: Date;
}

/** Named queries over procedures where the generic query builder costs too much (the catalog). */
@Injectable()
export class ProcedureRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A keyset page of the procedures the caller may read or run, in name order, filtered in SQL by
   * the caller's scopes. The busiest read of the api: hand-written (the 7 columns the catalog shows,
   * no entity mapping) and a named prepared statement (planned once per connection and SQL shape).
   */
  async catalogPage(ability: CallerAbility, filter: CatalogFilter): Promise<CatalogEntry[]> {
    const values: unknown[] = [];
    const bind = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const scopes = [ability.scopeFor('read', 'Procedure'), ability.scopeFor('run', 'Procedure')];
    let where = `p.archived_at IS NULL AND ${accessFilterSql(scopes, { projectId: 'p.project_id', procedureId: 'p.id' }, ability.userId, values)}`;
    if (filter.projectId) where += ` AND p.project_id = ${bind(filter.projectId)}`;
    if (filter.q) {
      const q = bind(`%${filter.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      where += ` AND (p.name ILIKE ${q} ESCAPE '\\' OR p.description ILIKE ${q} ESCAPE '\\')`;
    }
    if (filter.after) where += ` AND (p.name, p.id) > (${bind(filter.after.name)}, ${bind(filter.after.id)})`;
    const rows = await queryPrepared<CatalogRow>(this.dataSource, 'procedure_catalog',
      `SELECT p.id, p.project_id, pr.name AS project_name, p.name, p.description, p.active_version, p.updated_at
         FROM procedures p JOIN projects pr ON pr.id = p.project_id
        WHERE ${where}
        ORDER BY p.name, p.id LIMIT ${bind(filter.limit)}`,
      values,
    );
    return rows.map((row) => ({
      id: row.id, projectId: row.project_id, projectName: row.project_name, name: row.name, description: row.description,
      activeVersion: row.active_version, updatedAt: row.updated_at,
    }));
  }
}
