import { describe, expect, it } from 'vitest';
import type { AuditEventRow } from '@switchboard/audit';
import { auditExportText, CSV_COLUMNS, EXPORT_PIECE_CHARS } from './audit-export-text';

function event(seq: number, overrides: Partial<AuditEventRow> = {}): AuditEventRow {
  return {
    seq: String(seq), id: `00000000-0000-7000-8000-${String(seq).padStart(12, '0')}`, occurredAt: '2026-01-01T00:00:00.000Z',
    actorType: 'user', actorId: null, actorName: 'alice', ip: null, userAgent: null, tokenId: null, requestId: null,
    action: 'project.created', resourceType: 'project', resourceId: null, projectId: null, outcome: 'succeeded', reason: null,
    details: { note: 'x'.repeat(200) }, chainSeq: String(seq), prevHash: '0'.repeat(64), hash: 'f'.repeat(64), ...overrides,
  };
}

/** Batches of `size` events numbered 1…count, counting how many batches were read. */
function batchesOf(count: number, size: number): { batches: AsyncGenerator<AuditEventRow[]>; read: () => number; closed: () => boolean } {
  let read = 0;
  let closed = false;
  async function* batches(): AsyncGenerator<AuditEventRow[]> {
    try {
      for (let first = 1; first <= count; first += size) {
        read += 1;
        yield Array.from({ length: Math.min(size, count - first + 1) }, (_, i) => event(first + i));
      }
    } finally {
      closed = true;
    }
  }
  return { batches: batches(), read: () => read, closed: () => closed };
}

async function collect(pieces: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const piece of pieces) all.push(piece);
  return all;
}

describe('auditExportText', () => {
  it('writes every event once, in order, as one JSON line each', async () => {
    const pieces = await collect(auditExportText(batchesOf(2_500, 1_000).batches, 'jsonl'));
    const lines = pieces.join('').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => (JSON.parse(line) as AuditEventRow).seq)).toEqual(Array.from({ length: 2_500 }, (_, i) => String(i + 1)));
  });

  it('cuts the text into pieces of about EXPORT_PIECE_CHARS that end with whole lines', async () => {
    const pieces = await collect(auditExportText(batchesOf(2_500, 1_000).batches, 'jsonl'));
    const longestLine = Math.max(...pieces.join('').split('\n').map((line) => line.length + 1));
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.endsWith('\n')).toBe(true);
      expect(piece.length).toBeLessThan(EXPORT_PIECE_CHARS + longestLine);
    }
  });

  it('starts CSV with the header and keeps formula-looking cells from being evaluated', async () => {
    async function* one(): AsyncGenerator<AuditEventRow[]> {
      yield [event(1, { reason: '=HYPERLINK("http://evil")', actorName: 'say "hi"', details: { a: 1 } })];
    }
    const [header, row] = (await collect(auditExportText(one(), 'csv'))).join('').split('\n');
    expect(header).toBe(CSV_COLUMNS.join(','));
    expect(row).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(row).toContain('"say ""hi"""');
    expect(row).toContain('"{""a"":1}"');
    expect(row).not.toMatch(/(^|,)"=/);
  });

  it('writes only the CSV header when nothing matches', async () => {
    expect(await collect(auditExportText(batchesOf(0, 1_000).batches, 'csv'))).toEqual([`${CSV_COLUMNS.join(',')}\n`]);
  });

  it('reads the next batch only when the text of the previous one has been taken', async () => {
    const source = batchesOf(10_000, 1_000);
    const pieces = auditExportText(source.batches, 'jsonl');
    await pieces.next();
    expect(source.read()).toBe(1);
  });

  it('stops reading batches when the reader stops', async () => {
    const source = batchesOf(10_000, 1_000);
    for await (const piece of auditExportText(source.batches, 'jsonl')) {
      expect(piece.length).toBeGreaterThan(0);
      break;
    }
    expect(source.read()).toBe(1);
    expect(source.closed()).toBe(true);
  });
});
