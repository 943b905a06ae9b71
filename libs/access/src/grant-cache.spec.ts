import { describe, expect, it, vi } from 'vitest';
import type { AccessInvalidation } from './access-invalidation';
import type { AccessRepository } from './access.repository';
import { BUILT_IN_ROLES } from './built-in-roles';
import type { Grant } from './caller-ability';
import { GrantCache } from './grant-cache';

const viewerOf = (projectId: string): Grant => ({
  bindingId: `b-${projectId}`, roleName: 'viewer', scopeType: 'project', scopeId: projectId, via: { type: 'user', id: 'u1' }, permissions: BUILT_IN_ROLES.viewer.permissions,
});

function setup(): { cache: GrantCache; send: (userId: string) => void; grantsForUser: ReturnType<typeof vi.fn> } {
  const listeners: Array<(userId: string) => void> = [];
  let project = 0;
  const grantsForUser = vi.fn(async () => [viewerOf(`p${(project += 1)}`)]);
  const invalidation = {
    isListening: true,
    onInvalidate: (listener: (userId: string) => void) => listeners.push(listener),
    invalidate: vi.fn(async (userId: string) => listeners.forEach((l) => l(userId))),
  };
  const cache = new GrantCache({ grantsForUser } as unknown as AccessRepository, invalidation as unknown as AccessInvalidation);
  return { cache, send: (userId) => listeners.forEach((l) => l(userId)), grantsForUser };
}

describe('GrantCache', () => {
  it('reuses one ability per user and per token scopes while the grants are cached', async () => {
    const { cache, grantsForUser } = setup();
    const scopes = [{ action: 'read', subject: 'Procedure' }];
    const own = await cache.abilityFor('u1', null);
    expect(await cache.abilityFor('u1', null)).toBe(own);
    const narrowed = await cache.abilityFor('u1', scopes);
    expect(narrowed).not.toBe(own);
    expect(await cache.abilityFor('u1', scopes)).toBe(narrowed);
    expect(narrowed.tokenScopes).toBe(scopes);
    expect(grantsForUser).toHaveBeenCalledTimes(1);
  });

  it('builds a new ability from new grants once the user\'s access changed', async () => {
    const { cache, send } = setup();
    const before = await cache.abilityFor('u1', null);
    expect(before.can('read', 'Procedure', { projectId: 'p1', procedureId: 'x' })).toBe(true);
    send('u1');
    const after = await cache.abilityFor('u1', null);
    expect(after).not.toBe(before);
    expect(after.can('read', 'Procedure', { projectId: 'p1', procedureId: 'x' })).toBe(false);
    expect(after.can('read', 'Procedure', { projectId: 'p2', procedureId: 'x' })).toBe(true);
  });
});
