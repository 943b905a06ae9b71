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
