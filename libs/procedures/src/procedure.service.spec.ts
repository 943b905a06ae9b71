import { describe, expect, it } from 'vitest';
import { BUILT_IN_ROLES, CallerAbility, type Grant } from '@switchboard/access';
import { ProcedureService } from './procedure.service';

const grant = (role: string, scopeType: Grant['scopeType'], scopeId: string | null): Grant => ({
  bindingId: `b-${role}-${scopeId}`, roleName: role, scopeType, scopeId, via: { type: 'user', id: 'u1' }, permissions: BUILT_IN_ROLES[role].permissions,
});

// permissionsOf touches no collaborator.
const service = new ProcedureService(null as never, null as never, null as never, null as never, null as never);

describe('ProcedureService.permissionsOf', () => {
  it('answers once per project when no rule names a procedure', () => {
    const ability = new CallerAbility('u1', [grant('viewer', 'project', 'p1')]);
    const first = service.permissionsOf(ability, { projectId: 'p1', id: 'x1' });
    expect(first).toEqual({ read: true, run: false, update: false, archive: false, approve: false });
    expect(service.permissionsOf(ability, { projectId: 'p1', id: 'x2' })).toBe(first);
    expect(service.permissionsOf(ability, { projectId: 'p2', id: 'x3' })).toEqual({ read: false, run: false, update: false, archive: false, approve: false });
  });

  it('answers per procedure where a binding names one', () => {
    const ability = new CallerAbility('u1', [grant('viewer', 'project', 'p1'), grant('runner', 'procedure', 'x1')]);
    expect(service.permissionsOf(ability, { projectId: 'p1', id: 'x1' })).toMatchObject({ read: true, run: true });
    expect(service.permissionsOf(ability, { projectId: 'p1', id: 'x2' })).toMatchObject({ read: true, run: false });
  });

  it('answers per procedure for a token narrowed to one', () => {
    const ability = new CallerAbility('u1', [grant('owner', 'project', 'p1')], [{ action: 'run', subject: 'Procedure', id: 'x1' }]);
    expect(service.permissionsOf(ability, { projectId: 'p1', id: 'x1' })).toMatchObject({ run: true, update: false });
    expect(service.permissionsOf(ability, { projectId: 'p1', id: 'x2' })).toMatchObject({ run: false });
  });

  it('never shares answers between abilities', () => {
    const viewer = new CallerAbility('u1', [grant('viewer', 'project', 'p1')]);
    const owner = new CallerAbility('u1', [grant('owner', 'project', 'p1')]);
    service.permissionsOf(viewer, { projectId: 'p1', id: 'x1' });
    expect(service.permissionsOf(owner, { projectId: 'p1', id: 'x1' })).toMatchObject({ update: true, archive: true });
  });
});
