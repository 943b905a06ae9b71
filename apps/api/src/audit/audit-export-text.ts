import type { AuditEventRow } from '@switchboard/audit';

export type AuditExportFormat = 'jsonl' | 'csv';

export const CSV_COLUMNS: Array<keyof AuditEventRow> = [
  'seq', 'id', 'occurredAt', 'actorType', 'actorId', 'actorName', 'ip', 'userAgent', 'tokenId', 'requestId', 'action',
  'resourceType', 'resourceId', 'projectId', 'outcome', 'reason', 'details', 'chainSeq', 'prevHash', 'hash',
];

/**
 * Export text goes to the socket in pieces of about this many characters, so one write never
 * holds a whole batch as one string (1,000 events are ~0.8 MB, more with large details).
 */
export const EXPORT_PIECE_CHARS = 64 * 1024;

/** Values are quoted; formula-looking cells are prefixed so spreadsheets never evaluate them. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

function csvLine(row: AuditEventRow): string {
  return `${CSV_COLUMNS.map((column) => csvCell(row[column])).join(',')}\n`;
}

function jsonLine(row: AuditEventRow): string {
  return `${JSON.stringify(row)}\n`;
}

/**
 * An export as JSON Lines or CSV text, in pieces of about EXPORT_PIECE_CHARS. It reads the next
 * batch only when the previous one has been handed out, and stopping it stops the batches.
 */
export async function* auditExportText(batches: AsyncIterable<AuditEventRow[]>, format: AuditExportFormat): AsyncGenerator<string> {
  const line = format === 'csv' ? csvLine : jsonLine;
  let piece = format === 'csv' ? `${CSV_COLUMNS.join(',')}\n` : '';
  for await (const batch of batches) {
    for (const row of batch) {
      piece += line(row);
      if (piece.length >= EXPORT_PIECE_CHARS) {
        yield piece;
        piece = '';
      }
    }
  }
  if (piece.length > 0) yield piece;
}
