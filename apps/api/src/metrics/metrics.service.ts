import { Injectable } from '@nestjs/common';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { ExecutionQueue } from '@switchboard/executions';
import { AuditSealer } from '@switchboard/audit';

/**
 * Prometheus metrics of an api process: HTTP latency by route, queue depth per worker group,
 * executions by status over the last 24 hours, and audit events waiting to be sealed (read from
 * PostgreSQL at scrape time).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'switchboard_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  /** Children of httpDuration by method, route and status: prom-client would hash the labels on every observation. */
  private readonly httpDurationByLabels = new Map<string, { observe(seconds: number): void }>();

  constructor(dataSource: DataSource, queue: ExecutionQueue, sealer: AuditSealer) {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_api_' });
    new Gauge({
      name: 'switchboard_queue_jobs',
      help: 'Jobs in each worker group queue by state',
      labelNames: ['group', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const groups = (await dataSource.query(
          `SELECT DISTINCT unnest(groups) AS g FROM workers WHERE stopped_at IS NULL AND last_seen_at > now() - interval '5 minutes'`,
        )) as Array<{ g: string }>;
        for (const { g } of groups) {
          const counts = await queue.depth(g).catch(() => ({}) as Record<string, number>);
          for (const [state, count] of Object.entries(counts)) this.set({ group: g, state }, count);
        }
      },
    });
    new Gauge({
      name: 'switchboard_executions_recent',
      help: 'Executions queued in the last 24 hours, by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = (await dataSource.query(
          `SELECT status, count(*)::int AS n FROM executions WHERE queued_at > now() - interval '24 hours' GROUP BY status`,
        )) as Array<{ status: string; n: number }>;
        for (const row of rows) this.set({ status: row.status }, row.n);
      },
    });
    new Gauge({
      name: 'switchboard_audit_unsealed_events',
      help: 'Committed audit events not yet linked into the hash chain (grows while a long transaction holds sealing back)',
      registers: [this.registry],
      async collect() {
        this.set(await sealer.pending());
      },
    });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let child = this.httpDurationByLabels.get(key);
    if (!child) {
      child = this.httpDuration.labels(method, route, String(status));
      this.httpDurationByLabels.set(key, child);
    }
    child.observe(seconds);
  }
}
