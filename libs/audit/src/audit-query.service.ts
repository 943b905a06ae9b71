import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GENESIS_HASH, type ChainCheck, type ChainedEvent, type SealedEvent, verifyChain } from './audit-chain';
import { EVENT_COLUMNS, SEAL_COLUMNS } from './audit-columns';
import { AuditSealer } from './audit-sealer';

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

/**
 * A time range as a sequence range (`seq >= from`, `seq < to`; null: unbounded; empty: nothing
 * matches), plus the exact times when they must be checked on the rows too.
 */
interface SeqRange {
  from: string | null;
  to: string | null;
  empty: boolean;
  at?: { from?: Date; to?: Date };
}

/** An event with its link in the chain; the link fields are null for a moment after commit, until sealed. */
export type AuditEventRow = Omit<ChainedEvent, 'prevHash'> & { chainSeq: string | null; prevHash: string | null; hash: string | null };

const COLUMNS = `${EVENT_COLUMNS}, ${SEAL_COLUMNS}`;
const FROM = 'audit_events e LEFT JOIN audit_seals s ON s.event_seq = e.seq';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BATCH = 1000;
/**
 * seq and occurred_at are both taken in the event's INSERT, so they can disagree only by how long
 * one statement is paused between the two; the events within this much of a time bound are read
 * to place it exactly.
 */
const SLACK_MS = 2_000;

/**
 * Reading the audit log for auditors: filtered pages newest first (keyset on seq, so a deep page
 * costs what the first does), constant-memory export batches, and chain verification.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sealer: AuditSealer,
  ) {}

  /**
   * seq follows the database clock (AuditWriter), so a time range is a seq range: filtering by
   * seq lets every other index serve the page instead of walking the primary key past millions of
   * newer events, and the planner sees one plain range.
   */
  private async seqRange(from: Date | undefined, to: Date | undefined, slackMs = SLACK_MS): Promise<SeqRange> {
    const lower = from ? await this.seqBound(from, slackMs, 'lower') : null;
    if (lower && lower.seq === null) return { from: null, to: null, empty: true };
    const upper = to ? await this.seqBound(to, slackMs, 'upper') : null;
    // Only where concurrent inserts stamped their times out of seq order right at a bound does
    // the page also need the exact time condition (rare; the planner estimates it poorly).
    const exact = (lower?.inverted ?? false) || (upper?.inverted ?? false);
    return { from: lower?.seq ?? null, to: upper?.seq ?? null, empty: false, at: exact ? { from, to } : undefined };
  }

  /**
   * Where time `at` falls in seq order, found exactly: probes of the occurred_at index bracket it
   * within ±slack, then the events between them are read. A lower bound is the first seq stamped at
   * or after `at`; an upper bound is one past the last seq stamped before it (null: beyond every
   * event). `inverted` says some event on the wrong side of the bound in seq order is on the right
   * side in time, so the time itself must be checked too.
   *
   * The bracket starts after the last event stamped before `at - slack`, not at the first one
   * stamped after it: an event inserted earlier but stamped later (a crossing within the slack)
   * can have a smaller seq than that first one, and must still be inside the bracket.
   */
  private async seqBound(at: Date, slackMs: number, side: 'lower' | 'upper'): Promise<{ seq: string | null; inverted: boolean }> {
    const probe = async (sql: string, time: Date): Promise<string | null> =>
      ((await this.dataSource.query(sql, [time])) as Array<{ seq: string }>)[0]?.seq ?? null;
    const firstFrom = (time: Date): Promise<string | null> =>
      probe('SELECT seq::text AS seq FROM audit_events WHERE occurred_at >= $1 ORDER BY occurred_at, seq LIMIT 1', time);
    const low = await firstFrom(new Date(at.getTime() - slackMs));
    if (low === null || slackMs === 0) return { seq: low, inverted: false };
    const before = await probe(
      'SELECT seq::text AS seq FROM audit_events WHERE occurred_at < $1 ORDER BY occurred_at DESC, seq DESC LIMIT 1', new Date(at.getTime() - slackMs),
    );
    const high = await firstFrom(new Date(at.getTime() + slackMs));
    const window = `w AS (SELECT seq, occurred_at FROM audit_events WHERE seq > COALESCE($1::bigint, 0) AND ($2::bigint IS NULL OR seq < $2))`;
    const [bound] = (await this.dataSource.query(
      side === 'lower'
        ? `WITH ${window}, b AS (SELECT min(seq) AS seq FROM w WHERE occurred_at >= $3)
           SELECT COALESCE(b.seq, $2)::text AS seq, EXISTS (SELECT 1 FROM w WHERE w.seq > b.seq AND w.occurred_at < $3) AS inverted FROM b`
        : `WITH ${window}, b AS (SELECT COALESCE(max(seq) + 1, COALESCE($1::bigint, 0) + 1) AS seq FROM w WHERE occurred_at < $3)
           SELECT b.seq::text AS seq, EXISTS (SELECT 1 FROM w WHERE w.seq < b.seq AND w.occurred_at >= $3) AS inverted FROM b`,
      [before, high, at],
    )) as Array<{ seq: string | null; inverted: boolean }>;
    return bound;
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
    if (range.from) add('e.seq >= ?', range.from);
    if (range.to) add('e.seq < ?', range.to);
    if (range.at?.from) add('e.occurred_at >= ?', range.at.from);
    if (range.at?.to) add('e.occurred_at < ?', range.at.to);
    if (filter.projectIds) add('project_id = ANY(?)', filter.projectIds);
    return clauses.length > 0 ? clauses.join(' AND ') : 'TRUE';
  }

  /** Newest first; `beforeSeq` is the cursor (the last seq of the previous page). */
  async page(filter: AuditFilter, limit: number, beforeSeq: string | null): Promise<AuditEventRow[]> {
    const params: unknown[] = [];
    let where = this.where(filter, params, await this.seqRange(filter.from, filter.to));
    if (beforeSeq) {
      params.push(beforeSeq);
      where += ` AND e.seq < $${params.length}`;
    }
    params.push(limit);
    return this.dataSource.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE ${where} ORDER BY e.seq DESC LIMIT $${params.length}`, params);
  }

  async get(id: string): Promise<AuditEventRow | null> {
    if (!UUID.test(id)) return null;
    const rows: AuditEventRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM ${FROM} WHERE e.id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Oldest first, in batches, for export: memory stays constant however many events match.
   * Everything committed is sealed first, so an export verifies offline as one chain. Links are
   * shown as they were then (chain positions up to the head's at the start): events committed
   * while the export runs come without links, whenever the sealer gets to them. Otherwise a batch
   * could show events before the sealer linked them and the next batch later ones it had linked
   * since, and the file's chain would have a hole no one made.
   */
  async *stream(filter: AuditFilter): AsyncGenerator<AuditEventRow[]> {
    await this.sealer.sealAll();
    const [head] = (await this.dataSource.query('SELECT last_chain_seq::text AS position FROM audit_chain_head WHERE id = 1')) as Array<{ position: string }>;
    const range = await this.seqRange(filter.from, filter.to);
    if (range.empty) return;
    let after = range.from ? (BigInt(range.from) - 1n).toString() : '0';
    for (;;) {
      const params: unknown[] = [];
      const where = this.where(filter, params, range);
      params.push(head.position, after, BATCH);
      const headParam = `$${params.length - 2}`;
      const afterParam = `$${params.length - 1}`;
      // The same bound on s.event_seq: without it the planner merge-joins audit_seals from its first
      // row for every batch, so each batch costs as much as all the events before it.
      const rows: AuditEventRow[] = await this.dataSource.query(
        `SELECT ${COLUMNS} FROM audit_events e
           LEFT JOIN audit_seals s ON s.event_seq = e.seq AND s.event_seq > ${afterParam} AND s.chain_seq <= ${headParam}
         WHERE ${where} AND e.seq > ${afterParam} ORDER BY e.seq ASC LIMIT $${params.length}`,
        params,
      );
      if (rows.length === 0) return;
      yield rows;
      after = rows[rows.length - 1].seq;
      if (rows.length < BATCH) return;
    }
  }

  /**
   * Seals what has committed, then recomputes the chain over a time range (everything by default)
   * and names the first event whose hash, link to its predecessor or chain position does not hold.
   * A full check also compares the chain's end with the head row, which catches a deleted tail.
   */
  async verify(range: { from?: Date; to?: Date }): Promise<ChainCheck> {
    await this.sealer.sealAll();
    const [head] = (await this.dataSource.query('SELECT last_chain_seq::text AS position, last_hash AS hash FROM audit_chain_head WHERE id = 1')) as Array<{ position: string; hash: string }>;
    const pending = await this.sealer.pending();
    const bounds = await this.chainBounds(range, BigInt(head.position));
    if (!bounds) return { ok: true, checked: 0, pending };
    const { first, last } = bounds;
    let expected = GENESIS_HASH;
    if (first > 1n) {
      const previous = (await this.dataSource.query('SELECT hash FROM audit_seals WHERE chain_seq = $1', [(first - 1n).toString()])) as Array<{ hash: string }>;
      if (previous.length === 0) {
        const [row] = await this.linksAfter(first - 1n, last, 1);
        return { ok: false, checked: 0, firstBrokenId: row?.id, firstBrokenSeq: row?.seq, reason: `the link before chain position ${first} is missing`, pending };
      }
      expected = previous[0].hash;
    }
    const state = { prevHash: expected, prevChainSeq: first - 1n, checked: 0 };
    let after = first - 1n;
    let lastSeen: SealedEvent | null = null;
    for (;;) {
      const rows = await this.linksAfter(after, last, BATCH);
      if (rows.length === 0) break;
      const result = verifyChain(rows, expected, state);
      if (!result.ok) return { ...result, pending };
      lastSeen = rows[rows.length - 1];
      after = BigInt(lastSeen.chainSeq);
    }
    const whole = !range.to;
    if (whole && (after !== last || (lastSeen && lastSeen.hash !== head.hash))) {
      return {
        ok: false, checked: state.checked, firstBrokenId: lastSeen?.id, firstBrokenSeq: lastSeen?.seq, pending,
        reason: after !== last
          ? `the chain ends at position ${after} but its head records position ${last}: the last events are missing`
          : `the last link's hash differs from the one its head records: the chain's end was replaced`,
      };
    }
    return { ok: true, checked: state.checked, pending };
  }

  /** The chain positions covering a time range; null when it holds nothing. */
  private async chainBounds(range: { from?: Date; to?: Date }, end: bigint): Promise<{ first: bigint; last: bigint } | null> {
    let first = 1n;
    let last = end;
    if (range.from || range.to) {
      // Chain positions only roughly follow time anyway: no widening, the range is what was asked.
      const seqs = await this.seqRange(range.from, range.to, 0);
      if (seqs.empty) return null;
      const position = async (sql: string, seq: string): Promise<bigint | null> => {
        const rows = (await this.dataSource.query(sql, [seq])) as Array<{ position: string }>;
        return rows[0] ? BigInt(rows[0].position) : null;
      };
      if (seqs.from) first = (await position('SELECT chain_seq::text AS position FROM audit_seals WHERE event_seq >= $1 ORDER BY event_seq LIMIT 1', seqs.from)) ?? end + 1n;
      if (seqs.to) last = (await position('SELECT chain_seq::text AS position FROM audit_seals WHERE event_seq < $1 ORDER BY event_seq DESC LIMIT 1', seqs.to)) ?? 0n;
    }
    return first <= last ? { first, last } : null;
  }

  /**
   * Links in chain order with their events. A link whose event is gone drops out of the join, so
   * the next one's position jumps and verifyChain names it.
   */
  private async linksAfter(after: bigint, last: bigint, limit: number): Promise<SealedEvent[]> {
    return this.dataSource.query(
      `SELECT ${COLUMNS} FROM audit_seals s JOIN audit_events e ON e.seq = s.event_seq
       WHERE s.chain_seq > $1 AND s.chain_seq <= $2 ORDER BY s.chain_seq LIMIT $3`,
      [after.toString(), last.toString(), limit],
    );
  }
}
