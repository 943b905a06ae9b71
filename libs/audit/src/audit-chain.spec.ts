import { describe, expect, it } from 'vitest';
import { canonicalJson, chainedFields, GENESIS_HASH, hashEvent, verifyChain, type ChainedEvent, type SealedEvent } from './audit-chain';

/** Events chained in an order other than their seq, as the sealer does with concurrent writers. */
function chain(count: number): SealedEvent[] {
  const out: SealedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= count; i += 1) {
    const event: ChainedEvent = {
      seq: String(count + 10 - i), id: `id-${i}`, occurredAt: new Date(1_700_000_000_000 + i).toISOString(),
      actorType: 'user', actorId: null, actorName: 'alice', ip: null, userAgent: null, tokenId: null,
      requestId: null, action: 'thing.done', resourceType: null, resourceId: null, projectId: null,
      outcome: 'succeeded', reason: null, details: { b: 1, a: [1, { z: 'x', y: null }] }, prevHash,
    };
    const hash = hashEvent(event);
    out.push({ ...event, hash, chainSeq: String(i) });
    prevHash = hash;
  }
  return out;
}

describe('audit chain', () => {
  it('encodes objects canonically regardless of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3] } })).toBe(canonicalJson({ a: { c: [3], d: 2 }, b: 1 }));
  });

  it('writes exactly what the chain has always hashed', () => {
    // Every stored hash depends on this output: the reference below is the first definition.
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, inner]) => inner !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${reference(inner)}`).join(',')}}`;
    };
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , 3];
    const values: unknown[] = [
      null, undefined, 0, -0, 1.5e300, Number.NaN, Number.POSITIVE_INFINITY, true, '', 'ä "quoted" \\ \n \u2028 \ud800',
      [], {}, [undefined, null, [[]], {}], sparse, new Date(0),
      { b: undefined, a: null, 'é': 1, 'Z': 2, '10': 3, '9': 4, '': 5, '\ud83d\ude00': 6, 'a\u0000b': 7 },
      { details: { params: { service: 'payments', force: false, list: [3, 2, 1], nested: { y: [{ b: 1, a: 2 }], x: null } } } },
    ];
    for (const value of values) expect(canonicalJson(value), String(JSON.stringify(value))).toBe(reference(value));
    const event: ChainedEvent = {
      seq: '42', id: '0193f3a4-1b2c-7d3e-8f40-123456789abc', occurredAt: '2026-11-26T11:50:00.123Z', actorType: 'user',
      actorId: '0badc0de-0000-4000-8000-000000000001', actorName: 'ci-deployer', ip: '10.1.2.3', userAgent: 'switchboard-cli/1.0',
      tokenId: null, requestId: 'req-1', action: 'execution.queued', resourceType: 'execution', resourceId: 'x', projectId: null,
      outcome: 'succeeded', reason: null, details: { procedure: 'restart', version: 3, params: { force: false } }, prevHash: GENESIS_HASH,
    };
    expect(canonicalJson(event)).toBe(reference(event));
    expect(hashEvent(event)).toBe('c420adbe760fa12a3f865f436195f40cd9936fdd8694e54d4d3075a2ab409642');
  });

  it('verifies an intact chain', () => {
    expect(verifyChain(chain(5), GENESIS_HASH)).toEqual({ ok: true, checked: 5 });
  });

  it('names the first edited event', () => {
    const events = chain(5);
    events[2] = { ...events[2], actorName: 'mallory' };
    const result = verifyChain(events, GENESIS_HASH);
    expect(result.ok).toBe(false);
    expect(result.firstBrokenId).toBe('id-3');
  });

  it('names the event after a deleted one', () => {
    const events = chain(5);
    events.splice(1, 1);
    const result = verifyChain(events, GENESIS_HASH);
    expect(result).toMatchObject({ ok: false, firstBrokenId: 'id-3', checked: 1 });
  });

  it('names the event after a deleted last link of a batch when its chain position skips', () => {
    const events = chain(3);
    const relinked = { ...events[2], chainSeq: '4' };
    expect(verifyChain([events[0], events[1], relinked], GENESIS_HASH)).toMatchObject({ ok: false, firstBrokenId: 'id-3' });
  });

  it('ignores fields the hash does not cover (chain position, extra columns)', () => {
    const events = chain(2).map((event) => ({ ...event, extra: 'x' }));
    expect(verifyChain(events, GENESIS_HASH)).toEqual({ ok: true, checked: 2 });
  });

  it('detects a re-hashed edit through the broken link of the next event', () => {
    const events = chain(4);
    const edited = { ...events[1], actorName: 'mallory' };
    events[1] = { ...edited, hash: hashEvent(chainedFields(edited)) };
    expect(verifyChain(events, GENESIS_HASH).firstBrokenId).toBe('id-3');
  });
});
