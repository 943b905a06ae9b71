import type { DataSource } from 'typeorm';
import { hashEvent, type ChainedEvent } from './audit-chain';
import { EVENT_COLUMNS } from './audit-columns';

interface Head {
  last_chain_seq: string;
  last_xid: string;
  last_seq: string;
  last_hash: string;
}

type UnsealedRow = Omit<ChainedEvent, 'prevHash'> & { xid: string };

/**
 * Events after the chain's end, of transactions older than every running one: nothing can still
 * commit before them.
 */
const sealable = (headXid: string, headSeq: string): string =>
  `(e.xid, e.seq) > (${headXid}, ${headSeq}) AND e.xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;

/**
 * Whether anything is sealable after the chain's end ($1, $2: its transaction id and seq).
 *
 * The end is bound as parameters, read first. Joined in the same statement, its values were
 * unknown to the planner, which guessed a third of the table past them and chose a sequential
 * scan for the EXISTS: the unsealed events are the newest, at the table's end, so every poll read
 * the whole table (8–19 ms at 17,500–35,400 events in the benchmark, and growing with the audit log).
 * With the values bound, the probe walks audit_events_chain_order_idx from the end.
 */
export const SEALABLE_PROBE_SQL = `SELECT EXISTS (SELECT 1 FROM audit_events e WHERE ${sealable('$1::bigint', '$2::bigint')}) AS work`;

export interface AuditSealerOptions {
  batchSize?: number;
  onError?: (error: unknown) => void;
}

/**
 * Links committed audit events into the hash chain, after their own transactions: writers insert
 * an event and never wait for one another (AuditWriter), and one sealer at a time, in any
 * process, holds the chain head while it appends a batch of links to audit_seals.
 *
 * Chain order is (transaction id, seq), and a batch takes only events of transactions older than
 * the oldest still running (the snapshot's xmin). Any event that commits later therefore comes
 * after every event already sealed, so the chain never has to be rewritten, whatever order
 * concurrent transactions commit in, and a rolled-back transaction leaves nothing to wait for.
 */
export class AuditSealer {
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | null = null;
  private tick: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: AuditSealerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 2000;
  }

  /**
   * Seals one batch. Without `wait`, leaves the work to a sealer already holding the head and
   * answers null; with it, queues behind that sealer. Answers how many events it sealed.
   */
  async sealBatch(wait = false): Promise<number | null> {
    return this.dataSource.transaction(async (manager) => {
      const heads = (await manager.query(
        `SELECT last_chain_seq::text, last_xid::text, last_seq::text, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE${wait ? '' : ' SKIP LOCKED'}`,
      )) as Head[];
      const head = heads[0];
      if (!head) return null;
      const rows = (await manager.query(
        `SELECT ${EVENT_COLUMNS}, e.xid::text AS xid FROM audit_events e WHERE ${sealable('$1::bigint', '$2::bigint')} ORDER BY e.xid, e.seq LIMIT $3`,
        [head.last_xid, head.last_seq, this.batchSize],
      )) as UnsealedRow[];
      if (rows.length === 0) return 0;
      let prevHash = head.last_hash;
      let position = BigInt(head.last_chain_seq);
      const positions: string[] = [];
      const eventSeqs: string[] = [];
      const prevHashes: string[] = [];
      const hashes: string[] = [];
      for (const { xid: _xid, ...fields } of rows) {
        const hash = hashEvent({ ...fields, prevHash });
        position += 1n;
        positions.push(position.toString());
        eventSeqs.push(fields.seq);
        prevHashes.push(prevHash);
        hashes.push(hash);
        prevHash = hash;
      }
      const last = rows[rows.length - 1];
      await manager.query(
        `WITH sealed AS (
           INSERT INTO audit_seals (chain_seq, event_seq, prev_hash, hash)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
         )
         UPDATE audit_chain_head SET last_chain_seq = $5, last_xid = $6, last_seq = $7, last_hash = $8 WHERE id = 1`,
        [positions, eventSeqs, prevHashes, hashes, position.toString(), last.xid, last.seq, prevHash],
      );
      return rows.length;
    });
  }

  /** Seals everything committed so far (waiting for a sealer at work); answers how many it sealed. */
  async sealAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = (await this.sealBatch(true)) ?? 0;
      total += sealed;
      if (sealed < this.batchSize) return total;
    }
  }

  /** Committed events not yet in the chain: an index range scan from the chain's end. */
  async pending(): Promise<number> {
    const end = await this.chainEnd();
    const rows = (await this.dataSource.query(
      `SELECT count(*)::int AS pending FROM audit_events e WHERE (e.xid, e.seq) > ($1::bigint, $2::bigint)`,
      [end.xid, end.seq],
    )) as Array<{ pending: number }>;
    return rows[0].pending;
  }

  /** Whether a batch would find work: two read-only index probes, so idle polling writes nothing. */
  private async hasWork(): Promise<boolean> {
    const end = await this.chainEnd();
    const rows = (await this.dataSource.query(SEALABLE_PROBE_SQL, [end.xid, end.seq])) as Array<{ work: boolean }>;
    return rows[0]?.work === true;
  }

  /** The (transaction id, seq) of the last sealed event: what the next batch starts after. */
  async chainEnd(): Promise<{ xid: string; seq: string }> {
    const rows = (await this.dataSource.query(`SELECT last_xid::text AS xid, last_seq::text AS seq FROM audit_chain_head WHERE id = 1`)) as Array<{ xid: string; seq: string }>;
    // The migration creates the row; without it nothing has been sealed.
    return rows[0] ?? { xid: '0', seq: '0' };
  }

  /** Seals in the background every `intervalMs`, at once again while full batches keep coming. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || !this.stopped) return;
    this.stopped = false;
    const run = async (): Promise<void> => {
      let again = false;
      try {
        if (await this.hasWork()) again = (await this.sealBatch()) === this.batchSize;
      } catch (error) {
        this.options.onError?.(error);
      }
      if (!this.stopped) this.timer = setTimeout(() => { this.tick = run(); }, again ? 0 : intervalMs);
    };
    this.timer = setTimeout(() => { this.tick = run(); }, intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.tick;
  }
}
