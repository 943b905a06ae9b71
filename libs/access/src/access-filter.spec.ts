import { describe, expect, it } from 'vitest';
import { accessFilter, accessFilterSql } from './access-filter';
import type { AccessScope } from './caller-ability';

const none = { everywhere: false, projectIds: [], procedureIds: [] };
const columns = { projectId: 'p.project_id', procedureId: 'p.id', ownerId: 'e.triggered_by' };

describe('accessFilter', () => {
  it('denies everything for an empty scope', () => {
    expect(accessFilter([{ ...none, own: none }], columns, 'u1').sql).toBe('FALSE');
  });

  it('allows everything for a global grant', () => {
    expect(accessFilter([{ ...none, everywhere: true, own: none }], columns, 'u1').sql).toBe('((TRUE))');
  });

  it('combines project, procedure and own grants', () => {
    const scope: AccessScope = { everywhere: false, projectIds: ['p1'], procedureIds: ['x1'], own: { ...none, procedureIds: ['x2'] } };
    const { sql, params } = accessFilter([scope], columns, 'u1');
    expect(sql).toBe('((p.project_id = ANY(:acl0_proj) OR p.id = ANY(:acl0_proc) OR (p.id = ANY(:acl0_own_proc) AND e.triggered_by = :acl_user)))');
    expect(params).toMatchObject({ acl0_proj: ['p1'], acl0_proc: ['x1'], acl0_own_proc: ['x2'], acl_user: 'u1' });
  });

  it('ANDs a narrowed token restriction onto the owner scope', () => {
    const scope: AccessScope = { everywhere: true, projectIds: [], procedureIds: [], own: none, restrict: { projectIds: [], procedureIds: ['x1'] } };
    const { sql } = accessFilter([scope], columns, 'u1');
    expect(sql).toContain('AND (p.project_id = ANY(:acl0_rproj) OR p.id = ANY(:acl0_rproc))');
  });
});

describe('accessFilterSql', () => {
  it('states the same condition with positional parameters appended to the values', () => {
    const scope: AccessScope = { everywhere: false, projectIds: ['p1'], procedureIds: ['x1'], own: { ...none, procedureIds: ['x2'] } };
    const values: unknown[] = ['already there'];
    const sql = accessFilterSql([scope, scope], columns, 'u1', values);
    expect(sql).toBe(
      '((p.project_id = ANY($2) OR p.id = ANY($3) OR (p.id = ANY($4) AND e.triggered_by = $5))'
      + ' OR (p.project_id = ANY($6) OR p.id = ANY($7) OR (p.id = ANY($8) AND e.triggered_by = $5)))',
    );
    expect(values).toEqual(['already there', ['p1'], ['x1'], ['x2'], 'u1', ['p1'], ['x1'], ['x2']]);
  });

  it('gives one text for scopes of one shape, whatever the ids', () => {
    const shape = (id: string): AccessScope => ({ everywhere: false, projectIds: [], procedureIds: [id], own: none });
    expect(accessFilterSql([shape('x1')], columns, 'u1', [])).toBe(accessFilterSql([shape('x2')], columns, 'u2', []));
  });
});
