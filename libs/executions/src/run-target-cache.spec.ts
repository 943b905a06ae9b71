import { describe, expect, it } from 'vitest';
import type { ProcedureDefinition } from '@switchboard/procedures';
import { RunTargetCache } from './run-target-cache';

const definition = (name: string): ProcedureDefinition => ({ name } as unknown as ProcedureDefinition);

describe('RunTargetCache', () => {
  it('guesses the active version it read last, with its definition', () => {
    const cache = new RunTargetCache();
    expect(cache.guess('p1')).toBeUndefined();
    cache.remember({ procedureId: 'p1', projectId: 'pr', name: 'deploy', version: { id: 'v1', version: 1, definition: definition('one') } }, true);
    expect(cache.guess('p1')).toEqual({ procedureId: 'p1', projectId: 'pr', name: 'deploy', version: { id: 'v1', version: 1, definition: definition('one') } });
    expect(cache.knownVersion('p1')).toBe('v1');
  });

  it("keeps a rerun's pinned version without taking it for the active one", () => {
    const cache = new RunTargetCache();
    cache.remember({ procedureId: 'p1', projectId: 'pr', name: 'deploy', version: { id: 'v2', version: 2, definition: definition('two') } }, true);
    cache.remember({ procedureId: 'p1', projectId: 'pr', name: 'deploy', version: { id: 'v1', version: 1, definition: definition('one') } }, false);
    expect(cache.guess('p1')?.version?.id).toBe('v2');
    expect(cache.guess('p1', 'v1')?.version?.version).toBe(1);
  });

  it('stops guessing after a wrong guess, but still knows the definitions', () => {
    const cache = new RunTargetCache();
    cache.remember({ procedureId: 'p1', projectId: 'pr', name: 'deploy', version: { id: 'v1', version: 1, definition: definition('one') } }, true);
    cache.forgetActive('p1');
    expect(cache.guess('p1')).toBeUndefined();
    expect(cache.knownVersion('p1')).toBeNull();
    expect(cache.definition('v1')).toEqual(definition('one'));
  });
});
