/**
 * The rows of a raw TypeORM query. For UPDATE/DELETE … RETURNING, the postgres driver answers
 * `[rows, affectedCount]`; for SELECT and INSERT, just the rows.
 */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}
