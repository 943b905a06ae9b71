import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, LOGGER, type Logger } from '@switchboard/core';

/** Writes this worker's heartbeat to PostgreSQL, where the reconciler of any worker can see it. */
@Injectable()
export class WorkerPresence {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(workerId: string, groups: string[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO workers (id, hostname, pid, groups, started_at, last_seen_at, stopped_at) VALUES ($1, $2, $3, $4, now(), now(), NULL)
       ON CONFLICT (id) DO UPDATE SET hostname = EXCLUDED.hostname, pid = EXCLUDED.pid, groups = EXCLUDED.groups, started_at = now(), last_seen_at = now(), stopped_at = NULL`,
      [workerId, hostname(), process.pid, groups],
    );
    this.timer = setInterval(() => {
      this.dataSource.query('UPDATE workers SET last_seen_at = now() WHERE id = $1', [workerId]).catch((error: unknown) => {
        this.logger.warn({ err: error, workerId }, 'heartbeat failed; retrying');
      });
    }, this.config.SWITCHBOARD_HEARTBEAT_SECONDS * 1000);
  }

  async stop(workerId: string): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.dataSource.query('UPDATE workers SET stopped_at = now(), last_seen_at = now() WHERE id = $1', [workerId]).catch(() => undefined);
  }
}
