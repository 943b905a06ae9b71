import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs a unit of work in one PostgreSQL transaction. Domain operations pass the manager to their
 * repositories and to the audit writer so a change and the event recording it commit together.
 */
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction('READ COMMITTED', work);
  }
}
