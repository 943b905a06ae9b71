import { describe, expect, it } from 'vitest';
import { can } from './permissions';
import type { PermissionsView } from './types';

const scope = (over: Partial<{ everywhere: boolean; projectIds: string[]; procedureIds: string[] }> = {}) => ({
  everywhere: false, projectIds: [], procedureIds: [], ...over,
});

describe('can', () => {
  const runner: PermissionsView = {
    isAdmin: false,
    permissions: [
      { action: 'run', subject: 'Procedure', scope: { ...scope({ procedureIds: ['p1'] }), own: scope() } },
      { action: 'cancel', subject: 'Execution', scope: { ...scope(), own: scope({ projectIds: ['proj'] }) } },
    ],
  };

  it('offers nothing before permissions are known', () => {
    expect(can(undefined, 'run', 'Procedure')).toBe(false);
  });

  it('offers everything to an admin', () => {
    expect(can({ isAdmin: true, permissions: [] }, 'delete', 'Project', { projectId: 'x' })).toBe(true);
  });

  it('answers "somewhere" without a target and checks the scope with one', () => {
    expect(can(runner, 'run', 'Procedure')).toBe(true);
    expect(can(runner, 'run', 'Procedure', { procedureId: 'p1' })).toBe(true);
    expect(can(runner, 'run', 'Procedure', { procedureId: 'p2', projectId: 'proj' })).toBe(false);
    expect(can(runner, 'update', 'Procedure')).toBe(false);
  });

  it('counts own-only grants for the caller\'s own objects only', () => {
    expect(can(runner, 'cancel', 'Execution', { projectId: 'proj', ownedByCaller: true })).toBe(true);
    expect(can(runner, 'cancel', 'Execution', { projectId: 'proj' })).toBe(true);
    expect(can(runner, 'cancel', 'Execution', { projectId: 'proj', ownedByCaller: false })).toBe(false);
    expect(can(runner, 'cancel', 'Execution', { projectId: 'other', ownedByCaller: true })).toBe(false);
  });
});
