import { describe, expect, it } from 'vitest';
import { BUILT_IN_ROLES } from './built-in-roles';
import { CallerAbility, type Grant } from './caller-ability';
import { explainAccess } from './access-explainer';

const grant = (role: string, scopeType: Grant['scopeType'], scopeId: string | null, extra: Partial<Grant> = {}): Grant => ({
  bindingId: `b-${role}-${scopeId}`, roleName: role, scopeType, scopeId, via: { type: 'user', id: 'u1' }, permissions: BUILT_IN_ROLES[role].permissions, ...extra,
});

describe('CallerAbility', () => {
  it('lets an admin do anything', () => {
    const ability = new CallerAbility('u1', [grant('admin', 'global', null)]);
    expect(ability.can('delete', 'Project', { projectId: 'p1' })).toBe(true);
    expect(ability.isAdmin).toBe(true);
  });

  it('limits a procedure-scoped runner to that procedure', () => {
    const ability = new CallerAbility('u1', [grant('runner', 'procedure', 'x1')]);
    expect(ability.can('run', 'Procedure', { projectId: 'p1', procedureId: 'x1' })).toBe(true);
    expect(ability.can('run', 'Procedure', { projectId: 'p1', procedureId: 'x2' })).toBe(false);
    expect(ability.can('read', 'Procedure', { projectId: 'p1', procedureId: 'x1' })).toBe(false);
    expect(ability.can('update', 'Procedure', { projectId: 'p1', procedureId: 'x1' })).toBe(false);
  });

  it('lets runners cancel only their own executions', () => {
    const ability = new CallerAbility('u1', [grant('runner', 'project', 'p1')]);
    expect(ability.can('cancel', 'Execution', { projectId: 'p1', procedureId: 'x', ownerId: 'u1' })).toBe(true);
    expect(ability.can('cancel', 'Execution', { projectId: 'p1', procedureId: 'x', ownerId: 'u2' })).toBe(false);
  });

  it('limits runners to their own executions where the project restricts them', () => {
    const open = new CallerAbility('u1', [grant('runner', 'project', 'p1')]);
    const restricted = new CallerAbility('u1', [grant('runner', 'project', 'p1', { projectRestrictsRunners: true })]);
    const others = { projectId: 'p1', procedureId: 'x', ownerId: 'u2' };
    expect(open.can('read', 'Execution', others)).toBe(true);
    expect(restricted.can('read', 'Execution', others)).toBe(false);
    expect(restricted.can('read', 'Execution', { ...others, ownerId: 'u1' })).toBe(true);
    expect(restricted.scopeFor('read', 'Execution').own.projectIds).toEqual(['p1']);
  });

  it('lets owners cancel any execution in their project only', () => {
    const ability = new CallerAbility('u1', [grant('owner', 'project', 'p1')]);
    expect(ability.can('cancel', 'Execution', { projectId: 'p1', procedureId: 'x', ownerId: 'u2' })).toBe(true);
    expect(ability.can('cancel', 'Execution', { projectId: 'p2', procedureId: 'x', ownerId: 'u2' })).toBe(false);
  });

  it('never lets an auditor write', () => {
    const ability = new CallerAbility('u1', [grant('auditor', 'global', null)]);
    expect(ability.can('read', 'Execution', { projectId: 'p', procedureId: 'x' })).toBe(true);
    for (const action of ['create', 'update', 'delete', 'run', 'cancel', 'approve', 'grant'] as const) {
      for (const subject of ['Project', 'Procedure', 'Execution', 'User', 'RoleBinding'] as const) {
        expect(ability.can(action, subject, { projectId: 'p', procedureId: 'x' })).toBe(false);
      }
    }
  });

  it('intersects a narrowed token with its owner\'s rights', () => {
    const grants = [grant('owner', 'project', 'p1')];
    const token = new CallerAbility('u1', grants, [{ action: 'run', subject: 'Procedure', id: 'x1' }]);
    expect(token.can('run', 'Procedure', { projectId: 'p1', procedureId: 'x1' })).toBe(true);
    expect(token.can('run', 'Procedure', { projectId: 'p1', procedureId: 'x2' })).toBe(false);
    expect(token.can('update', 'Procedure', { projectId: 'p1', procedureId: 'x1' })).toBe(false);
    expect(token.can('read', 'Execution', { projectId: 'p1', procedureId: 'x1', ownerId: 'u9' })).toBe(true);
    // The token never exceeds the owner: a procedure outside the owner's project stays refused.
    expect(token.can('run', 'Procedure', { projectId: 'p2', procedureId: 'x1' })).toBe(false);
    expect(token.isAdmin).toBe(false);
  });

  it('tells whether rules can tell two procedures of one project apart', () => {
    expect(new CallerAbility('u1', [grant('viewer', 'project', 'p1'), grant('admin', 'global', null)]).hasObjectRules).toBe(false);
    expect(new CallerAbility('u1', [grant('runner', 'procedure', 'x1')]).hasObjectRules).toBe(true);
    expect(new CallerAbility('u1', [grant('owner', 'project', 'p1')], [{ action: 'run', subject: 'Procedure', id: 'x1' }]).hasObjectRules).toBe(true);
    expect(new CallerAbility('u1', [grant('owner', 'project', 'p1')], [{ action: 'read', subject: 'Procedure' }]).hasObjectRules).toBe(false);
  });
});

describe('explainAccess', () => {
  it('names the binding that allows an action', () => {
    const explanation = explainAccess('u1', [grant('viewer', 'global', null), grant('runner', 'procedure', 'x1')], 'run', 'Procedure', { projectId: 'p1', procedureId: 'x1' });
    expect(explanation.allowed).toBe(true);
    expect(explanation.decidedBy.map((d) => d.role)).toEqual(['runner']);
  });

  it('says why an action is denied', () => {
    const explanation = explainAccess('u1', [grant('viewer', 'global', null)], 'run', 'Procedure', { projectId: 'p1', procedureId: 'x1' });
    expect(explanation).toMatchObject({ allowed: false, decidedBy: [] });
    expect(explanation.reason).toMatch(/none of the user's 1 binding/);
  });
});
