/**
 * `npm run audit:verify -- FILE [--filtered]`: checks an exported JSON Lines audit file without
 * the server. Recomputes every event's hash and checks each event links to the one before it.
 * An unfiltered export must be one unbroken chain; with --filtered (an export of a filter), gaps
 * between sequence numbers are expected, so links are checked only between consecutive events.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type ChainedEvent, GENESIS_HASH, hashEvent } from '../libs/audit/src/audit-chain';

interface Result {
  ok: boolean;
  checked: number;
  linksChecked: number;
  firstBrokenId?: string;
  firstBrokenSeq?: string;
  line?: number;
  reason?: string;
}

async function main(): Promise<void> {
  const file = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
  const filtered = process.argv.includes('--filtered');
  if (!file) throw new Error('usage: npm run audit:verify -- export.jsonl [--filtered]');
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  const result: Result = { ok: true, checked: 0, linksChecked: 0 };
  let previous: { seq: bigint; hash: string } | null = null;
  let lineNumber = 0;
  const fail = (event: ChainedEvent, reason: string): Result => ({ ...result, ok: false, firstBrokenId: event.id, firstBrokenSeq: event.seq, line: lineNumber, reason });
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    const { hash, ...covered } = JSON.parse(line) as ChainedEvent & { hash: string };
    const seq = BigInt(covered.seq);
    if (hashEvent(covered) !== hash) return report(fail(covered, 'event hash does not match its contents'));
    if (seq === 1n && covered.prevHash !== GENESIS_HASH) return report(fail(covered, 'the first event does not link to genesis'));
    if (previous) {
      if (seq === previous.seq + 1n) {
        if (covered.prevHash !== previous.hash) return report(fail(covered, 'previous-hash link does not match'));
        result.linksChecked += 1;
      } else if (!filtered || seq <= previous.seq) {
        return report(fail(covered, `sequence jumps from ${previous.seq} to ${seq}`));
      }
    }
    previous = { seq, hash };
    result.checked += 1;
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
