/** Audit: the append-only, hash-chained record of every change, denial, login and run. */
export * from './audit-event.entity';
export * from './audit-chain';
export * from './audit-writer';
export * from './audit-chain-head.entity';
export * from './audit-seal.entity';
export * from './audit-query.service';
export * from './audit-sealer';
