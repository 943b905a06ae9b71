import type { Client } from 'pg';

/** Inserts a queued run of the procedure's active version straight into PostgreSQL (as the api would, steps pending), with the given id, and no job. */
/**
 * A worker row with a fresh heartbeat, for tests that claim runs in a worker's name without
 * starting one: otherwise any reconciler on the shared database may end those runs as
 * `worker_lost` at once (no row means a lost worker).
 */
export async function registerLiveWorker(db: Client, workerId: string): Promise<void> {
  await db.query(
    `INSERT INTO workers (id, hostname, pid, groups, started_at, last_seen_at) VALUES ($1, 'test', 0, '{}', now(), now())
     ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), stopped_at = NULL`,
    [workerId],
  );
}

export async function insertQueuedExecution(db: Client, procedureId: string, executionId: string): Promise<void> {
  const inserted = await db.query(
    `INSERT INTO executions (id, procedure_id, project_id, version_id, version, status, params, trigger, triggered_by_name, worker_group, queued_at, steps)
     SELECT $1, p.id, p.project_id, v.id, v.version, 'queued', '{}', 'api', 'test', v.definition->>'worker_group', now(),
            (SELECT jsonb_agg(jsonb_build_object('name', s->>'name', 'status', 'pending', 'exitCode', NULL, 'startedAt', NULL, 'finishedAt', NULL))
               FROM jsonb_array_elements(v.definition->'steps') s)
       FROM procedures p JOIN procedure_versions v ON v.id = p.active_version_id
      WHERE p.id = $2`,
    [executionId, procedureId],
  );
  if (inserted.rowCount !== 1) throw new Error(`no active version of procedure ${procedureId}`);
}

/** How many times the run was claimed (its attempt) and how many `execution.started` events it has. */
export async function startsOf(db: Client, executionId: string): Promise<{ attempt: number; started: number }> {
  const { rows } = await db.query<{ attempt: number; started: number }>(
    `SELECT e.attempt,
            (SELECT count(*)::int FROM audit_events a WHERE a.resource_type = 'execution' AND a.resource_id = e.id::text AND a.action = 'execution.started') AS started
       FROM executions e WHERE e.id = $1`,
    [executionId],
  );
  return rows[0];
}
