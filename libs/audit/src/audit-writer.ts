import type { EntityManager } from 'typeorm';
import { type Actor, redactSecrets, uuidV7 } from '@switchboard/core';
import type { AuditOutcome } from './audit-event.entity';

export interface AuditRecord {
  action: string;
  outcome: AuditOutcome;
  resourceType?: string | null;
  resourceId?: string | null;
  projectId?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

/** Where an event's INSERT sits in a larger statement (AuditWriter.statement). */
export interface AuditStatementOptions {
  /** The number of the event's first parameter ($n): the statement's own parameters come first. */
  firstParam: number;
  /**
   * A CTE of the same statement that gates the event: it is written when the CTE has a row, and
   * not when it is empty (an UPDATE … RETURNING that matched nothing records nothing). It must
   * yield at most one row: the event's id is one value, and a second row would break its
   * uniqueness and with it the whole statement.
   */
  from?: string;
  /**
   * SQL over the `from` CTE's columns, for values known only once the change has run: the event's
   * project, and details merged over `record.details` (jsonb; nothing secret may come from here,
   * as it is not redacted).
   */
  sql?: { projectId?: string; details?: string };
}

/**
 * Appends an event inside the caller's transaction: one INSERT, no lock shared with other writers.
 * The event commits or rolls back with the change it records; the AuditSealer links it into the
 * hash chain once it has committed. seq, xid and the time come from the database, one clock for
 * every process, so time order follows seq order (AuditQueryService relies on it).
 */
export class AuditWriter {
  async record(manager: EntityManager, actor: Actor, record: AuditRecord): Promise<{ id: string; seq: string }> {
    const { sql, params, id } = this.statement(actor, record, { firstParam: 1 });
    const rows = (await manager.query(`${sql} RETURNING seq::text AS seq`, params)) as Array<{ seq: string }>;
    return { id, seq: rows[0].seq };
  }

  /**
   * The event's INSERT as SQL and parameters, to put in a data-modifying CTE next to the change it
   * records: `WITH changed AS (UPDATE … RETURNING id), audited AS (<sql>) SELECT …`. The change
   * and its event are then one autocommit statement, atomic as a transaction, in one round trip
   * instead of four (BEGIN, change, event, COMMIT).
   */
  statement(actor: Actor, record: AuditRecord, options: AuditStatementOptions): { sql: string; params: unknown[]; id: string } {
    const { id, columns, details } = eventColumns(actor, record);
    const params: unknown[] = [];
    const values = [...columns, ['details', details] as const].map(([column, value]) => {
      if (column === 'project_id' && options.sql?.projectId) return options.sql.projectId;
      params.push(value);
      const placeholder = `$${options.firstParam + params.length - 1}`;
      return column === 'details' && options.sql?.details ? `(${placeholder}::jsonb || ${options.sql.details})` : placeholder;
    });
    const list = [values[0], OCCURRED_AT, ...values.slice(1)].join(', ');
    const sql = `INSERT INTO audit_events (${INSERTED_COLUMNS})
       ${options.from ? `SELECT ${list} FROM ${options.from}` : `VALUES (${list})`}`;
    return { sql, params, id };
  }

  /**
   * Many events as one INSERT with a single parameter (a JSON array of the events), for a batch of
   * changes written by one statement (StatementBatcher): the text is the same for any number of
   * events, so it stays one prepared statement. With `join`, an event is written only when its
   * resource id is among the ids a CTE of the same statement returned (the changes that happened;
   * the CTE must return each id once), and may take its project and more details from that row,
   * as `statement()`'s `sql` option does for one event.
   */
  batchStatement(
    events: Array<{ actor: Actor; record: AuditRecord }>,
    options: { param: number; join?: { from: string; idColumn: string; projectId?: string; details?: string } },
  ): { sql: string; params: unknown[] } {
    const rows = events.map(({ actor, record }) => {
      const { columns, details } = eventColumns(actor, record);
      // details is already JSON text (redacted, sanitized): spliced in as it is, not parsed and written again.
      const row = JSON.stringify(Object.fromEntries(columns));
      return `${row.slice(0, -1)},"details":${details}}`;
    });
    const { join } = options;
    const joined = join ? ` JOIN ${join.from} ON ${join.from}.${join.idColumn}::text = a.resource_id` : '';
    const values = EVENT_COLUMNS.slice(1).map(([column]) => {
      if (column === 'project_id' && join?.projectId) return join.projectId;
      if (column === 'details' && join?.details) return `(a.details || ${join.details})`;
      return `a.${column}`;
    });
    const sql = `INSERT INTO audit_events (${INSERTED_COLUMNS})
       SELECT a.id, ${OCCURRED_AT}, ${values.join(', ')}
         FROM jsonb_to_recordset($${options.param}::jsonb) AS a(${EVENT_COLUMNS.map(([column, type]) => `${column} ${type}`).join(', ')})${joined}`;
    return { sql, params: [`[${rows.join(',')}]`] };
  }
}

/** The columns an event is written with, in order, and their types (for jsonb_to_recordset). */
const EVENT_COLUMNS = [
  ['id', 'uuid'], ['actor_type', 'text'], ['actor_id', 'uuid'], ['actor_name', 'text'], ['ip', 'text'], ['user_agent', 'text'], ['token_id', 'uuid'],
  ['request_id', 'text'], ['action', 'text'], ['resource_type', 'text'], ['resource_id', 'text'], ['project_id', 'uuid'], ['outcome', 'text'],
  ['reason', 'text'], ['details', 'jsonb'],
] as const;
/** seq and xid come from column defaults; the time from the database's clock. */
const OCCURRED_AT = `date_trunc('milliseconds', clock_timestamp())`;
const INSERTED_COLUMNS = ['id', 'occurred_at', ...EVENT_COLUMNS.slice(1).map(([column]) => column)].join(', ');

/** An event's values (details apart, as JSON text), redacted and sanitized, with a new id. */
function eventColumns(actor: Actor, record: AuditRecord): { id: string; columns: Array<readonly [string, unknown]>; details: string } {
  const id = uuidV7();
  // Round-trip through JSON so what the sealer hashes is exactly what jsonb stores and returns.
  const details = JSON.stringify(redactSecrets(record.details ?? {}), (_key, value: unknown) => (typeof value === 'string' ? sanitize(value) : value));
  const columns: Array<readonly [string, unknown]> = [
    ['id', id], ['actor_type', actor.type], ['actor_id', actor.id], ['actor_name', sanitize(actor.name) ?? 'unknown'], ['ip', actor.ip ?? null],
    ['user_agent', sanitize(actor.userAgent?.slice(0, 512)) ?? null], ['token_id', actor.tokenId ?? null], ['request_id', actor.requestId ?? null],
    ['action', record.action], ['resource_type', record.resourceType ?? null], ['resource_id', record.resourceId ?? null],
    ['project_id', record.projectId ?? null], ['outcome', record.outcome], ['reason', sanitize(record.reason?.slice(0, 2000)) ?? null],
  ];
  return { id, columns, details };
}

/** PostgreSQL text cannot hold NUL; strip it so hashing sees what is stored. */
function sanitize(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? value.replaceAll('\u0000', '') : value;
}
