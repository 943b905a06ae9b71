/**
 * `npm run audit:verify -- FILE [--filtered]`: checks an exported JSON Lines audit file without
 * the server. Recomputes every event's hash and checks each link against the event before it in
 * the chain (`chainSeq`). An export lists events by `seq`, and concurrent transactions may be
 * chained in a slightly different order, so links are matched by chain position, not by line.
 * An unfiltered export must hold one unbroken run of positions; with --filtered (an export of a
 * filter), gaps are expected and only the links between events both present are checked.
 * Events exported before the sealer linked them (no hash yet) are counted, not judged.
 * Lines must come in increasing `seq`, as exports write them: a repeated or moved line fails.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type ChainedEvent, chainedFields, GENESIS_HASH, hashEvent } from '../libs/audit/src/audit-chain';

interface Result {
  ok: boolean;
  checked: number;
  linksChecked: number;
  unsealed: number;
  firstBrokenId?: string;
  firstBrokenSeq?: string;
  line?: number;
  reason?: string;
}

type ExportedEvent = Omit<ChainedEvent, 'prevHash'> & { chainSeq: string | null; prevHash: string | null; hash: string | null };

/**
 * With --filtered, a link still waiting for a neighbour this many positions behind the furthest
 * one seen is let go: neighbours in the chain are written close together (by seq), so it will not
 * come, and memory stays bounded however large the file.
 */
const FILTERED_WINDOW = 100_000n;

/** What a link needs of a neighbour that has not been matched yet. */
interface Link {
  id: string;
  seq: string;
  line: number;
  prevHash: string;
  hash: string;
  /** Whether the events at position - 1 and + 1 have been matched with this one. */
  before: boolean;
  after: boolean;
}

async function main(): Promise<void> {
  const file = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
  const filtered = process.argv.includes('--filtered');
  if (!file) throw new Error('usage: npm run audit:verify -- export.jsonl [--filtered]');
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const result: Result = { ok: true, checked: 0, linksChecked: 0, unsealed: 0 };
  // Links whose neighbours have not all been seen; a complete export keeps only a short frontier.
  const open = new Map<bigint, Link>();
  let lineNumber = 0;
  let previousSeq: bigint | null = null;
  let furthest = 0n;
  const fail = (link: Pick<Link, 'id' | 'seq' | 'line'>, reason: string): Result => ({ ...result, ok: false, firstBrokenId: link.id, firstBrokenSeq: link.seq, line: link.line, reason });
  const settle = (position: bigint, link: Link): void => {
    if (link.before && link.after) open.delete(position);
  };
  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    const event = JSON.parse(text) as ExportedEvent;
    const seq = BigInt(event.seq);
    if (previousSeq !== null && seq <= previousSeq) {
      return report(fail({ id: event.id, seq: event.seq, line: lineNumber }, `seq ${seq} does not follow ${previousSeq}: a line is repeated or out of order`));
    }
    previousSeq = seq;
    if (event.hash === null || event.prevHash === null || event.chainSeq === null) {
      result.unsealed += 1;
      continue;
    }
    const link: Link = { id: event.id, seq: event.seq, line: lineNumber, prevHash: event.prevHash, hash: event.hash, before: false, after: false };
    if (hashEvent(chainedFields({ ...event, prevHash: event.prevHash })) !== event.hash) return report(fail(link, 'event hash does not match its contents'));
    const position = BigInt(event.chainSeq);
    if (open.has(position)) return report(fail(link, `chain position ${position} appears twice`));
    if (position === 1n) {
      if (link.prevHash !== GENESIS_HASH) return report(fail(link, 'the first event does not link to genesis'));
      link.before = true;
    }
    const previous = open.get(position - 1n);
    if (previous) {
      if (link.prevHash !== previous.hash) return report(fail(link, 'previous-hash link does not match'));
      link.before = previous.after = true;
      result.linksChecked += 1;
      settle(position - 1n, previous);
    }
    const next = open.get(position + 1n);
    if (next) {
      if (next.prevHash !== link.hash) return report(fail(next, 'previous-hash link does not match'));
      link.after = next.before = true;
      result.linksChecked += 1;
      settle(position + 1n, next);
    }
    open.set(position, link);
    settle(position, link);
    result.checked += 1;
    if (filtered && position > furthest) {
      furthest = position;
      // Map keys iterate in insertion order, which is close to position order: the sweep stops at
      // the first one in the window (one far ahead holds it back until the chain catches up).
      for (const waiting of open.keys()) {
        if (waiting >= furthest - FILTERED_WINDOW) break;
        open.delete(waiting);
      }
    }
  }
  if (!filtered) {
    // One unbroken run: only its two ends may still miss a neighbour. Any other open link sits
    // next to a missing event; name the first event after the first gap.
    const positions = [...open.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const gap = positions.find((position, index) => index > 0 && !open.get(position)!.before);
    if (gap !== undefined) {
      const before = positions[positions.indexOf(gap) - 1];
      return report(fail(open.get(gap)!, `chain position jumps from ${before} to ${gap}: an event before it is missing`));
    }
  }
  report(result);
}

function report(result: Result): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
