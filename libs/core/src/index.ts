/** Core: configuration, errors, logging, Redis connections, queue names, transactions and request context. */
export * from './config';
export * from './errors';
export * from './redaction';
export * from './logger';
export * from './queue-names';
export * from './redis-connection';
export * from './transaction-runner';
export * from './request-context';
export * from './actor';
export * from './di-tokens';
export * from './secret-box';
export * from './query-rows';
export * from './prepared-query';
export * from './confirmed-subscription';
export * from './invalidated-cache';
export * from './invalidation-channel';
export * from './statement-batcher';
