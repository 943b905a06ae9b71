import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs a unit of work in one PostgreSQL transaction. Domain operations pass the manager to their
 * repositories and to the audit writer so a change and the event recording it commit together.
 */
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    // PostgreSQL's default isolation is READ COMMITTED; naming it costs a SET TRANSACTION per transaction.
    return this.dataSource.transaction(work);
  }
}
