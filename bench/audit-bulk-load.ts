import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { hashEvent, type ChainedEvent } from '@switchboard/audit';
import { GENERATOR_SQL, generatorParams, INSERT_COLUMNS } from './audit-dataset';

export interface BulkLoadOptions {
  events: number;
  /** How many of the first loaded events get real hashes (a verifiable chain continuing the seeded one). */
  chained: number;
  log: (line: string) => void;
}

export interface BulkLoadResult {
  events: number;
  chainedEvents: number;
  firstSeq: string;
  lastSeq: string;
  /** The time span the events cover, and the range holding the chained events (for verify and export). */
  firstOccurredAt: string;
  lastOccurredAt: string;
  chainedTo: string;
  insertMs: number;
  indexMs: Record<string, number>;
  vacuumAnalyzeMs: number;
  flushMs: number;
  totalMs: number;
  tableBytes: number;
  toastBytes: number;
  indexBytes: Record<string, number>;
  avgRowBytes: number;
  /** Server settings changed for the load only, then reset. */
  loadSettings: Record<string, string>;
}

const YEAR_MS = 365 * 86_400_000;
const SQL_CHUNK = 250_000;
const CHAIN_BATCH = 5_000;
const LOAD_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_wal_size: '64GB',
  checkpoint_timeout: '1h',
  autovacuum: 'off',
};

const CHAINED_COLUMNS = `seq::text AS "seq", id::text, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "occurredAt",
  actor_type AS "actorType", actor_id::text AS "actorId", actor_name AS "actorName", ip, user_agent AS "userAgent", token_id::text AS "tokenId",
  request_id AS "requestId", action, resource_type AS "resourceType", resource_id AS "resourceId", project_id::text AS "projectId",
  outcome, reason, details`;

async function connect(url: string, name: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: name });
  await client.connect();
  await client.query(`SET jit = off`);
  return client;
}

/**
 * Fills audit_events with a year of synthetic events as fast as PostgreSQL allows: durability off
 * for the load (this database is thrown away), secondary indexes dropped and rebuilt after (with
 * the migration's exact DDL), the rows generated inside PostgreSQL in two parallel sessions. The
 * first `chained` events are hashed in this process with the product's hashEvent so that verify and
 * an offline check of an export have a real chain to walk; the rest carry hash-shaped filler.
 */
export async function bulkLoadAuditEvents(url: string, options: BulkLoadOptions): Promise<BulkLoadResult> {
  const started = Date.now();
  const admin = await connect(url, 'audit-bench-load');
  try {
    for (const [name, value] of Object.entries(LOAD_SETTINGS)) await admin.query(`ALTER SYSTEM SET ${name} = '${value}'`);
    await admin.query('SELECT pg_reload_conf()');

    const [head] = (await admin.query(
      'SELECT last_seq::text AS seq, last_chain_seq::text AS position, last_hash AS hash FROM audit_chain_head WHERE id = 1',
    )).rows as Array<{ seq: string; position: string; hash: string }>;
    // Anything already written must be sealed first: the loaded events continue its chain.
    const [pending] = (await admin.query(
      'SELECT count(*)::int AS n FROM audit_events e, audit_chain_head h WHERE (e.xid, e.seq) > (h.last_xid, h.last_seq)',
    )).rows as Array<{ n: number }>;
    if (pending.n > 0) throw new Error(`${pending.n} audit events are not sealed yet; seal them before loading`);
    const firstSeq = BigInt(head.seq) + 1n;
    const lastSeq = firstSeq + BigInt(options.events) - 1n;
    const chained = Math.min(options.chained, options.events);
    const stepMs = Math.floor(YEAR_MS / options.events);
    const startMs = Date.now() - 3_600_000 - stepMs * options.events;
    const base = (lo: bigint, hi: bigint): unknown[] => [lo.toString(), hi.toString(), startMs + Number(lo - firstSeq) * stepMs, stepMs, ...generatorParams()];

    // The migration's secondary indexes, to rebuild identically after the load.
    const indexes = (await admin.query(
      `SELECT i.indexname AS name, i.indexdef AS def, c.conname AS constraint_name, pg_get_constraintdef(c.oid) AS constraint_def
         FROM pg_indexes i LEFT JOIN pg_constraint c ON c.conname = i.indexname AND c.conrelid = 'audit_events'::regclass
        WHERE i.tablename = 'audit_events' AND (c.contype IS NULL OR c.contype <> 'p') ORDER BY i.indexname`,
    )).rows as Array<{ name: string; def: string; constraint_name: string | null; constraint_def: string | null }>;
    for (const index of indexes) {
      await admin.query(index.constraint_name ? `ALTER TABLE audit_events DROP CONSTRAINT "${index.constraint_name}"` : `DROP INDEX "${index.name}"`);
    }

    options.log(`loading ${options.events.toLocaleString('en')} events (seq ${firstSeq}…${lastSeq}; ${chained.toLocaleString('en')} with a real hash chain)`);
    const insertStarted = Date.now();
    let loaded = 0;
    let lastReport = Date.now();
    const progress = (rows: number): void => {
      loaded += rows;
      if (Date.now() - lastReport > 15_000) {
        lastReport = Date.now();
        options.log(`  ${loaded.toLocaleString('en')} events loaded (${Math.round(loaded / ((Date.now() - insertStarted) / 1000)).toLocaleString('en')}/s)`);
      }
    };

    const loadChained = async (): Promise<void> => {
      if (chained === 0) return;
      const client = await connect(url, 'audit-bench-load-chain');
      try {
        let prevHash = head.hash;
        let position = BigInt(head.position);
        for (let lo = firstSeq; lo < firstSeq + BigInt(chained); lo += BigInt(CHAIN_BATCH)) {
          const hi = lo + BigInt(CHAIN_BATCH) - 1n < firstSeq + BigInt(chained) - 1n ? lo + BigInt(CHAIN_BATCH) - 1n : firstSeq + BigInt(chained) - 1n;
          const rows = (await client.query(`SELECT ${CHAINED_COLUMNS} FROM (${GENERATOR_SQL}) AS generated ORDER BY generated.seq`, base(lo, hi))).rows as Array<Omit<ChainedEvent, 'prevHash'>>;
          const columns: unknown[][] = Array.from({ length: 18 }, () => []);
          const seals: unknown[][] = Array.from({ length: 4 }, () => []);
          for (const row of rows) {
            const event: ChainedEvent = { ...row, prevHash };
            const hash = hashEvent(event);
            const values = [
              event.seq, event.id, event.occurredAt, event.actorType, event.actorId, event.actorName, event.ip, event.userAgent, event.tokenId,
              event.requestId, event.action, event.resourceType, event.resourceId, event.projectId, event.outcome, event.reason,
              JSON.stringify(event.details), '0',
            ];
            values.forEach((value, i) => columns[i].push(value));
            position += 1n;
            [position.toString(), event.seq, prevHash, hash].forEach((value, i) => seals[i].push(value));
            prevHash = hash;
          }
          await client.query(
            `INSERT INTO audit_events (${INSERT_COLUMNS})
             SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::timestamptz[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::uuid[],
               $10::text[], $11::text[], $12::text[], $13::text[], $14::uuid[], $15::text[], $16::text[], $17::jsonb[], $18::bigint[])`,
            columns,
          );
          await client.query(
            `INSERT INTO audit_seals (chain_seq, event_seq, prev_hash, hash) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])`,
            seals,
          );
          progress(rows.length);
        }
      } finally {
        await client.end();
      }
    };

    // The generated part in chunks, shared by two sessions (one per core).
    const chunks: Array<[bigint, bigint]> = [];
    for (let lo = firstSeq + BigInt(chained); lo <= lastSeq; lo += BigInt(SQL_CHUNK)) {
      chunks.push([lo, lo + BigInt(SQL_CHUNK) - 1n < lastSeq ? lo + BigInt(SQL_CHUNK) - 1n : lastSeq]);
    }
    const loadGenerated = async (name: string): Promise<void> => {
      const client = await connect(url, name);
      try {
        for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
          await client.query(`INSERT INTO audit_events (${INSERT_COLUMNS}) ${GENERATOR_SQL}`, base(chunk[0], chunk[1]));
          // Filler links, so every event has its seal as in production (the page queries join them).
          await client.query(
            `INSERT INTO audit_seals (chain_seq, event_seq, prev_hash, hash)
             SELECT $3::bigint + (seq - $1::bigint), seq, repeat(md5('hash:' || (seq - 1)), 2), repeat(md5('hash:' || seq), 2)
               FROM generate_series($1::bigint, $2::bigint) AS seq`,
            [chunk[0].toString(), chunk[1].toString(), (BigInt(head.position) + 1n + (chunk[0] - firstSeq)).toString()],
          );
          progress(Number(chunk[1] - chunk[0] + 1n));
        }
      } finally {
        await client.end();
      }
    };
    await Promise.all([loadChained(), loadGenerated('audit-bench-load-1'), loadGenerated('audit-bench-load-2')]);
    const insertMs = Date.now() - insertStarted;
    options.log(`inserted in ${(insertMs / 1000).toFixed(1)} s; rebuilding ${indexes.length} indexes`);

    await admin.query(`SET maintenance_work_mem = '1GB'`);
    await admin.query(`SET max_parallel_maintenance_workers = 2`);
    const indexMs: Record<string, number> = {};
    for (const index of indexes) {
      const t = Date.now();
      await admin.query(index.constraint_name ? `ALTER TABLE audit_events ADD CONSTRAINT "${index.constraint_name}" ${index.constraint_def}` : index.def);
      indexMs[index.name] = Date.now() - t;
    }
    options.log(`indexes rebuilt in ${(Object.values(indexMs).reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s; VACUUM ANALYZE`);

    await admin.query(
      // The loaded events carry xid 0; the head's (xid, seq) key must stay the largest sealed one
      // (the seed's events have real transaction ids), or the sealer would take them again.
      `UPDATE audit_chain_head SET last_seq = CASE WHEN last_xid = 0 THEN $1 ELSE last_seq END, last_chain_seq = $2,
         last_hash = (SELECT hash FROM audit_seals WHERE chain_seq = $2) WHERE id = 1`,
      [lastSeq.toString(), (BigInt(head.position) + BigInt(options.events)).toString()],
    );
    // New events (the insert benchmark, the api's own) take seqs after the loaded ones.
    await admin.query(`SELECT setval('audit_events_seq_seq', $1::bigint)`, [lastSeq.toString()]);
    await admin.query('VACUUM (ANALYZE) audit_seals');
    const vacuumStarted = Date.now();
    await admin.query('VACUUM (ANALYZE) audit_events');
    const vacuumAnalyzeMs = Date.now() - vacuumStarted;

    // Back to production durability; write everything out so later figures pay no deferred I/O.
    const flushStarted = Date.now();
    for (const name of Object.keys(LOAD_SETTINGS)) await admin.query(`ALTER SYSTEM RESET ${name}`);
    await admin.query('SELECT pg_reload_conf()');
    await admin.query('CHECKPOINT');
    execFileSync('sync');
    const flushMs = Date.now() - flushStarted;

    const [sizes] = (await admin.query(
      `SELECT pg_relation_size('audit_events') AS table_bytes,
              coalesce(pg_total_relation_size(reltoastrelid), 0) AS toast_bytes,
              (SELECT avg(pg_column_size(a.*)) FROM audit_events AS a TABLESAMPLE SYSTEM (1)) AS avg_row
         FROM pg_class WHERE oid = 'audit_events'::regclass`,
    )).rows as Array<{ table_bytes: string; toast_bytes: string; avg_row: string }>;
    const indexSizes = (await admin.query(
      `SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS bytes FROM pg_index WHERE indrelid = 'audit_events'::regclass ORDER BY 1`,
    )).rows as Array<{ name: string; bytes: string }>;
    const [range] = (await admin.query(
      `SELECT to_char(min(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS first,
              to_char(max(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last,
              to_char((SELECT occurred_at FROM audit_events WHERE seq = $1) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS chained_to
         FROM audit_events WHERE seq BETWEEN $2 AND $3`,
      [(firstSeq + BigInt(chained)).toString(), firstSeq.toString(), lastSeq.toString()],
    )).rows as Array<{ first: string; last: string; chained_to: string | null }>;
    return {
      events: options.events,
      chainedEvents: chained,
      firstSeq: firstSeq.toString(),
      lastSeq: lastSeq.toString(),
      firstOccurredAt: range.first,
      lastOccurredAt: range.last,
      chainedTo: range.chained_to ?? range.last,
      insertMs,
      indexMs,
      vacuumAnalyzeMs,
      flushMs,
      totalMs: Date.now() - started,
      tableBytes: Number(sizes.table_bytes),
      toastBytes: Number(sizes.toast_bytes),
      indexBytes: Object.fromEntries(indexSizes.map((i) => [i.name, Number(i.bytes)])),
      avgRowBytes: Math.round(Number(sizes.avg_row)),
      loadSettings: LOAD_SETTINGS,
    };
  } finally {
    await admin.end();
  }
}
