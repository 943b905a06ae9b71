import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GENESIS_HASH, type ChainCheck, type ChainedEvent, verifyChain } from './audit-chain';

export interface AuditFilter {
  actor?: string;
  /** An exact action or a prefix ending in `.` or `*` (`procedure.` / `procedure.*`). */
  action?: string;
  resourceType?: string;
  resourceId?: string;
  project?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
  /** Project scope of a caller who may read the audit log of some projects only. */
  projectIds?: string[] | null;
}

/** A time range as a sequence range: `seq >= from` and `seq < to` (null: unbounded; empty: nothing matches). */
interface SeqRange {
  from: string | null;
  to: string | null;
  empty: boolean;
}

export type AuditEventRow = ChainedEvent & { hash: string };

const COLUMNS = `seq::text AS "seq", id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt",
  actor_type AS "actorType", actor_id AS "actorId", actor_name AS "actorName", ip, user_agent AS "userAgent", token_id AS "tokenId",
  request_id AS "requestId", action, resource_type AS "resourceType", resource_id AS "resourceId", project_id AS "projectId",
  outcome, reason, details, prev_hash AS "prevHash", hash`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BATCH = 1000;

/**
 * Reading the audit log for auditors: filtered pages newest first (keyset on seq, so a deep page
 * costs what the first does), constant-memory export batches, and chain verification.
 */
@Injectable()
export class AuditQueryService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Events are stamped in sequence order (AuditWriter), so a time range is a seq range found with
   * two probes of the occurred_at index; filtering by seq then lets every other index serve the
   * page instead of walking the primary key past millions of newer events.
   */
  private async seqRange(from: Date | undefined, to: Date | undefined): Promise<SeqRange> {
    const first = async (at: Date): Promise<string | null> => {
      const rows = (await this.dataSource.query(
        'SELECT seq::text AS seq FROM audit_events WHERE occurred_at >= $1 ORDER BY occurred_at, seq LIMIT 1', [at],
      )) as Array<{ seq: string }>;
      return rows[0]?.seq ?? null;
    };
    const lower = from ? await first(from) : null;
    if (from && lower === null) return { from: null, to: null, empty: true };
    const upper = to ? await first(to) : null;
    return { from: lower, to: upper, empty: false };
  }

  private where(filter: AuditFilter, params: unknown[], range: SeqRange = { from: null, to: null, empty: false }): string {
    const clauses: string[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.actor) {
      if (UUID.test(filter.actor)) add('actor_id = ?', filter.actor);
      else add('actor_name = ?', filter.actor);
    }
    if (filter.action) {
      const prefix = filter.action.endsWith('*') ? filter.action.slice(0, -1) : filter.action.endsWith('.') ? filter.action : null;
      if (prefix !== null) add(`action LIKE ? ESCAPE '\\'`, `${prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
      else add('action = ?', filter.action);
    }
    if (filter.resourceType) add('resource_type = ?', filter.resourceType);
    if (filter.resourceId) add('resource_id = ?', filter.resourceId);
    if (filter.project) add('project_id = ?', filter.project);
    if (filter.outcome) add('outcome = ?', filter.outcome);
    if (range.empty) clauses.push('FALSE');
    if (range.from) add('seq >= ?', range.from);
    if (range.to) add('seq < ?', range.to);
    if (filter.projectIds) add('project_id = ANY(?)', filter.projectIds);
    return clauses.length > 0 ? clauses.join(' AND ') : 'TRUE';
  }

  /** Newest first; `beforeSeq` is the cursor (the last seq of the previous page). */
  async page(filter: AuditFilter, limit: number, beforeSeq: string | null): Promise<AuditEventRow[]> {
    const params: unknown[] = [];
    let where = this.where(filter, params, await this.seqRange(filter.from, filter.to));
    if (beforeSeq) {
      params.push(beforeSeq);
      where += ` AND seq < $${params.length}`;
    }
    params.push(limit);
    return this.dataSource.query(`SELECT ${COLUMNS} FROM audit_events WHERE ${where} ORDER BY audit_events.seq DESC LIMIT $${params.length}`, params);
  }

  async get(id: string): Promise<AuditEventRow | null> {
    if (!UUID.test(id)) return null;
    const rows: AuditEventRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM audit_events WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** Oldest first, in batches, for export: memory stays constant however many events match. */
  async *stream(filter: AuditFilter): AsyncGenerator<AuditEventRow[]> {
    const range = await this.seqRange(filter.from, filter.to);
    if (range.empty) return;
    let after = range.from ? (BigInt(range.from) - 1n).toString() : '0';
    for (;;) {
      const params: unknown[] = [];
      const where = this.where(filter, params, range);
      params.push(after, BATCH);
      const rows: AuditEventRow[] = await this.dataSource.query(
        `SELECT ${COLUMNS} FROM audit_events WHERE ${where} AND seq > $${params.length - 1} ORDER BY audit_events.seq ASC LIMIT $${params.length}`,
        params,
      );
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1].seq;
      if (rows.length < BATCH) return;
    }
  }

  /**
   * Recomputes the chain over a time range (everything by default) and names the first event
   * whose hash, link to its predecessor or sequence number does not hold.
   */
  async verify(range: { from?: Date; to?: Date }): Promise<ChainCheck> {
    const seqs = await this.seqRange(range.from, range.to);
    if (seqs.empty) return { ok: true, checked: 0 };
    const bounds: Array<{ first: string | null; last: string | null }> = await this.dataSource.query(
      `SELECT (SELECT seq FROM audit_events WHERE seq >= COALESCE($1::bigint, 0) ORDER BY seq LIMIT 1)::text AS first,
              (SELECT seq FROM audit_events WHERE $2::bigint IS NULL OR seq < $2::bigint ORDER BY seq DESC LIMIT 1)::text AS last`,
      [seqs.from, seqs.to],
    );
    const { first, last } = bounds[0];
    if (!first || !last) return { ok: true, checked: 0 };
    const previous: Array<{ hash: string }> = await this.dataSource.query('SELECT hash FROM audit_events WHERE seq = $1::bigint - 1', [first]);
    if (first !== '1' && previous.length === 0) {
      // The event before the range (or the log's first events) is gone: that is a break too.
      const [row] = (await this.dataSource.query('SELECT id FROM audit_events WHERE seq = $1', [first])) as Array<{ id: string }>;
      return { ok: false, checked: 0, firstBrokenId: row.id, firstBrokenSeq: first, reason: `the event before ${first} is missing` };
    }
    const expected = first === '1' ? GENESIS_HASH : previous[0].hash;
    const state = { prevHash: expected, prevSeq: BigInt(first) - 1n, checked: 0 };
    let after = (BigInt(first) - 1n).toString();
    for (;;) {
      const rows: AuditEventRow[] = await this.dataSource.query(
        `SELECT ${COLUMNS} FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY audit_events.seq ASC LIMIT ${BATCH}`,
        [after, last],
      );
      if (rows.length === 0) break;
      const result = verifyChain(rows, expected, state);
      if (!result.ok) return result;
      after = rows[rows.length - 1].seq;
    }
    return { ok: true, checked: state.checked };
  }
}
