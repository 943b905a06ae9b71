import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '@switchboard/core';
import { type AuditRecord, AuditSealer, AuditWriter, type ChainedEvent, hashEvent } from '@switchboard/audit';
import { createDataSource } from '@switchboard/platform';
import { benchUuid } from './audit-dataset';
import { elapsedMs, type LatencySummary, summarize } from './audit-stats';

export interface InsertOptions {
  /** Sequential pairs (one transaction without the audit event, one with). */
  pairs: number;
  writers: number;
  /** How long each concurrent run lasts. */
  concurrentMs: number;
  log: (line: string) => void;
}

interface ModeResult {
  transactions: number;
  perSecond: number;
  latency: LatencySummary;
}

export interface InsertResult {
  /** CPU cost of the hash alone (canonical JSON + SHA-256) of a typical event, in µs. */
  hashMicros: number;
  sequential: {
    baseline: LatencySummary;
    audited: LatencySummary;
    /** audited − baseline at p50, p99 and on average: what the audit event adds to a transaction. */
    addedP50: number;
    addedP99: number;
    addedMean: number;
    /** The writer's one statement: INSERT … RETURNING seq (the chain is sealed after commit). */
    insertStatement: LatencySummary;
    /** COMMIT (WAL flush) of the transaction without and with the event. */
    commitBaseline: LatencySummary;
    commitAudited: LatencySummary;
  };
  concurrent: {
    writers: number;
    baseline: ModeResult;
    audited: ModeResult;
    addedP50: number;
    addedP99: number;
  };
  /**
   * The sealer running in the background (as in every api and worker process) while the
   * concurrent writers ran: events still unsealed when they stopped, and how fast they drained.
   */
  sealing: {
    intervalMs: number;
    pendingAfterRun: number;
    drained: number;
    drainMs: number;
    eventsPerSecond: number;
    /** Seconds from commit to seal (sealed_at − occurred_at) of the events the concurrent run wrote. */
    lag: LatencySummary;
  };
}

const BENCH_TABLE = 'bench_audit_counters';
/** The product's default SWITCHBOARD_AUDIT_SEAL_INTERVAL_MS. */
const SEAL_INTERVAL_MS = 1_000;

/** A request as the api records it: a run queued by a CI token. */
function actorFor(writer: number): Actor {
  return {
    type: 'token', id: benchUuid('user:ci-deployer'), name: 'ci-deployer', tokenId: benchUuid('token:ci-deployer'),
    ip: `10.30.0.${writer + 1}`, userAgent: 'switchboard-cli/0.4.2 (linux; node 20.19.0)', requestId: randomUUID(),
  };
}

function recordFor(): AuditRecord {
  return {
    action: 'execution.queued', outcome: 'succeeded', resourceType: 'execution', resourceId: randomUUID(), projectId: benchUuid('project:0'),
    details: {
      procedureId: benchUuid('procedure:1'), procedure: 'deploy-1', version: 7, trigger: 'api', rerunOf: null,
      params: { environment: 'production', service: 'svc-12', dry_run: false },
    },
  };
}

/** Times the writer's statement without changing what it runs. */
function timingManager(manager: EntityManager, phases: Phases): EntityManager {
  return new Proxy(manager, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return async (sql: string, parameters?: unknown[]) => {
        const started = process.hrtime.bigint();
        const result: unknown = await target.query(sql, parameters);
        phases.insert.push(elapsedMs(started));
        return result;
      };
    },
  });
}

interface Phases {
  insert: number[];
  commit: number[];
}

const newPhases = (): Phases => ({ insert: [], commit: [] });

function hashMicros(): number {
  const event: ChainedEvent = {
    seq: '12345678', id: randomUUID(), occurredAt: new Date().toISOString(), actorType: 'token', actorId: randomUUID(), actorName: 'ci-deployer',
    ip: '10.30.0.1', userAgent: 'switchboard-cli/0.4.2 (linux; node 20.19.0)', tokenId: randomUUID(), requestId: randomUUID(),
    action: 'execution.queued', resourceType: 'execution', resourceId: randomUUID(), projectId: randomUUID(), outcome: 'succeeded', reason: null,
    details: recordFor().details, prevHash: 'f'.repeat(64),
  };
  for (let i = 0; i < 2_000; i += 1) hashEvent(event);
  const rounds = 20_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i += 1) hashEvent(event);
  return Math.round((elapsedMs(started) * 1000 * 100) / rounds) / 100;
}

/**
 * What AuditWriter.record adds to the transaction it joins, on the loaded table with durable
 * commits: the same one-row UPDATE transaction with and without the audit event, sequentially
 * (interleaved, so drift hits both alike) and from several concurrent writers, with the sealer
 * linking their events into the chain in the background as every api and worker process does.
 */
export async function measureInsertOverhead(url: string, options: InsertOptions): Promise<InsertResult> {
  const dataSource: DataSource = await createDataSource({ url, poolSize: options.writers + 1, applicationName: 'audit-bench-insert' }).initialize();
  const writer = new AuditWriter();
  const sealer = new AuditSealer(dataSource);
  try {
    await dataSource.query(`CREATE TABLE IF NOT EXISTS ${BENCH_TABLE} (id int PRIMARY KEY, n bigint NOT NULL)`);
    await dataSource.query(`INSERT INTO ${BENCH_TABLE} SELECT g, 0 FROM generate_series(0, $1) g ON CONFLICT DO NOTHING`, [options.writers]);
    const transaction = async (slot: number, audited: boolean, phases: Phases): Promise<number> => {
      const started = process.hrtime.bigint();
      let workDone = started;
      await dataSource.transaction('READ COMMITTED', async (manager) => {
        await manager.query(`UPDATE ${BENCH_TABLE} SET n = n + 1 WHERE id = $1`, [slot]);
        if (audited) await writer.record(timingManager(manager, phases), actorFor(slot), recordFor());
        workDone = process.hrtime.bigint();
      });
      phases.commit.push(elapsedMs(workDone));
      return elapsedMs(started);
    };

    const micros = hashMicros();
    options.log(`insert overhead: hashEvent ${micros} µs; ${options.pairs} sequential pairs`);
    const sequential = { baseline: [] as number[], audited: [] as number[], baselinePhases: newPhases(), auditedPhases: newPhases() };
    for (let i = 0; i < 100; i += 1) {
      await transaction(0, false, newPhases());
      await transaction(0, true, newPhases());
    }
    for (let i = 0; i < options.pairs; i += 1) {
      // Alternate which goes first, so neither always runs right after the other's commit.
      const order = i % 2 === 0 ? [false, true] : [true, false];
      for (const audited of order) {
        const ms = await transaction(0, audited, audited ? sequential.auditedPhases : sequential.baselinePhases);
        (audited ? sequential.audited : sequential.baseline).push(ms);
      }
    }
    const seqBaseline = summarize(sequential.baseline);
    const seqAudited = summarize(sequential.audited);

    await sealer.sealAll();
    const concurrentRun = async (audited: boolean, durationMs: number): Promise<ModeResult> => {
      const latencies: number[] = [];
      const phases = newPhases();
      const deadline = Date.now() + durationMs;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: options.writers }, async (_, w) => {
          while (Date.now() < deadline) latencies.push(await transaction(w + 1, audited, phases));
        }),
      );
      const seconds = elapsedMs(started) / 1000;
      return { transactions: latencies.length, perSecond: Math.round(latencies.length / seconds), latency: summarize(latencies) };
    };
    options.log(`insert overhead: ${options.writers} concurrent writers, ${options.concurrentMs / 1000} s without and ${options.concurrentMs / 1000} s with the audit event`);
    await concurrentRun(false, 1_000); // opens the pool's connections
    const baseline = await concurrentRun(false, options.concurrentMs);
    const [{ seq: fromSeq }] = (await dataSource.query(`SELECT last_value::text AS seq FROM audit_events_seq_seq`)) as Array<{ seq: string }>;
    sealer.start(SEAL_INTERVAL_MS);
    const audited = await concurrentRun(true, options.concurrentMs);
    await sealer.stop();
    const pendingAfterRun = await sealer.pending();
    const drainStarted = process.hrtime.bigint();
    const drained = await sealer.sealAll();
    const drainMs = elapsedMs(drainStarted);
    const lags = (await dataSource.query(
      `SELECT extract(epoch FROM s.sealed_at - e.occurred_at) * 1000 AS ms FROM audit_events e JOIN audit_seals s ON s.event_seq = e.seq WHERE e.seq > $1`,
      [fromSeq],
    )) as Array<{ ms: string }>;
    return {
      hashMicros: micros,
      sequential: {
        baseline: seqBaseline,
        audited: seqAudited,
        addedP50: Math.round((seqAudited.p50 - seqBaseline.p50) * 1000) / 1000,
        addedP99: Math.round((seqAudited.p99 - seqBaseline.p99) * 1000) / 1000,
        addedMean: Math.round((seqAudited.mean - seqBaseline.mean) * 1000) / 1000,
        insertStatement: summarize(sequential.auditedPhases.insert),
        commitBaseline: summarize(sequential.baselinePhases.commit),
        commitAudited: summarize(sequential.auditedPhases.commit),
      },
      concurrent: {
        writers: options.writers,
        baseline,
        audited,
        addedP50: Math.round((audited.latency.p50 - baseline.latency.p50) * 100) / 100,
        addedP99: Math.round((audited.latency.p99 - baseline.latency.p99) * 100) / 100,
      },
      sealing: {
        intervalMs: SEAL_INTERVAL_MS,
        pendingAfterRun,
        drained,
        drainMs: Math.round(drainMs),
        eventsPerSecond: drained > 0 ? Math.round(drained / (drainMs / 1000)) : 0,
        lag: summarize(lags.map((row) => Number(row.ms))),
      },
    };
  } finally {
    await dataSource.destroy();
  }
}
