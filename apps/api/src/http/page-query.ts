import { z } from 'zod';
import { InvalidError } from '@switchboard/core';

/** `?limit=` (default 50, max 500) and an opaque `?cursor=` for keyset paging. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1, 'must be at least 1').max(500, 'must be at most 500').default(50),
  cursor: z.string().max(500).optional(),
});

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T = string>(cursor: string): T {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw new InvalidError('invalid cursor', [{ field: 'cursor', message: 'is not a cursor this API returned' }]);
  }
}
