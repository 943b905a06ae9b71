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

/**
 * Deterministic JSON: object keys sorted at every depth (by UTF-16 code units), keys whose value is
 * undefined left out, no whitespace. Every stored hash depends on this exact output. Written as
 * loops over sorted keys: the sealer, `verify` and exports run it for every event (5.0–5.7 µs for
 * a typical event against 6.7–8.6 µs with entries, filter, sort, map and join).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      // A hole in a sparse array is written as nothing, as Array.prototype.join writes it.
      if (i in value) out += canonicalJson(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const inner = record[key];
    if (inner === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(inner)}`;
  }
  return `${out}}`;
}

export function hashEvent(event: ChainedEvent): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

/** A sealed event as verified: its hashed fields, its own hash and its gap-free chain position. */
export type SealedEvent = ChainedEvent & { hash: string; chainSeq: string };

export interface ChainCheck {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
  firstBrokenSeq?: string;
  reason?: string;
  /** Committed events not yet linked into the chain (the sealer runs a moment after commit). */
  pending?: number;
}

export interface ChainState {
  prevHash: string | null;
  prevChainSeq: bigint | null;
  checked: number;
}

/**
 * Verifies a run of consecutive links in chain order. `expectedPrevHash` is the hash of the event
 * before the first one (GENESIS_HASH at the start of the log). Names the first event whose link or
 * own hash does not hold, or whose chain position skips (a deleted event or link).
 */
export function verifyChain(
  events: Iterable<SealedEvent>,
  expectedPrevHash: string | null,
  state: ChainState = { prevHash: expectedPrevHash, prevChainSeq: null, checked: 0 },
): ChainCheck {
  for (const event of events) {
    const position = BigInt(event.chainSeq);
    const broken = (reason: string): ChainCheck => ({ ok: false, checked: state.checked, firstBrokenId: event.id, firstBrokenSeq: event.seq, reason });
    if (state.prevChainSeq !== null && position !== state.prevChainSeq + 1n) return broken(`chain position jumps from ${state.prevChainSeq} to ${position}: an event before it is missing`);
    if (state.prevHash !== null && event.prevHash !== state.prevHash) return broken('previous-hash link does not match');
    if (hashEvent(chainedFields(event)) !== event.hash) return broken('event hash does not match its contents');
    state.prevHash = event.hash;
    state.prevChainSeq = position;
    state.checked += 1;
  }
  return { ok: true, checked: state.checked };
}

/** Exactly the fields the hash covers, whatever else the row carries. */
export function chainedFields(event: ChainedEvent): ChainedEvent {
  return {
    seq: event.seq, id: event.id, occurredAt: event.occurredAt, actorType: event.actorType, actorId: event.actorId,
    actorName: event.actorName, ip: event.ip, userAgent: event.userAgent, tokenId: event.tokenId, requestId: event.requestId,
    action: event.action, resourceType: event.resourceType, resourceId: event.resourceId, projectId: event.projectId,
    outcome: event.outcome, reason: event.reason, details: event.details, prevHash: event.prevHash,
  };
}
