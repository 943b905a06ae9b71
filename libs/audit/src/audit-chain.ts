import { createHash } from 'node:crypto';

/** The fields covered by an event's hash, in the form they are exported and verified offline. */
export interface ChainedEvent {
  seq: string;
  id: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  actorName: string;
  ip: string | null;
  userAgent: string | null;
  tokenId: string | null;
  requestId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  projectId: string | null;
  outcome: string;
  reason: string | null;
  details: unknown;
  prevHash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** Deterministic JSON: object keys sorted at every depth, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
}

export function hashEvent(event: ChainedEvent): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

export interface ChainCheck {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
  firstBrokenSeq?: string;
  reason?: string;
}

/**
 * Verifies a run of consecutive events. `expectedPrevHash` is the hash of the event before the
 * first one (GENESIS_HASH at the start of the log). Names the first event whose link or own hash
 * does not hold, or whose sequence number skips (a deleted row).
 */
export function verifyChain(
  events: Iterable<ChainedEvent & { hash: string }>,
  expectedPrevHash: string | null,
  state: { prevHash: string | null; prevSeq: bigint | null; checked: number } = { prevHash: expectedPrevHash, prevSeq: null, checked: 0 },
): ChainCheck {
  for (const event of events) {
    const seq = BigInt(event.seq);
    const broken = (reason: string): ChainCheck => ({ ok: false, checked: state.checked, firstBrokenId: event.id, firstBrokenSeq: event.seq, reason });
    if (state.prevSeq !== null && seq !== state.prevSeq + 1n) return broken(`sequence gap before ${event.seq}`);
    if (state.prevHash !== null && event.prevHash !== state.prevHash) return broken('previous-hash link does not match');
    const { hash, ...covered } = event;
    if (hashEvent(covered) !== hash) return broken('event hash does not match its contents');
    state.prevHash = hash;
    state.prevSeq = seq;
    state.checked += 1;
  }
  return { ok: true, checked: state.checked };
}
