import IORedis, { type Redis, type RedisOptions } from 'ioredis';

/**
 * Creates an ioredis connection that reconnects forever with a capped backoff, so every process
 * survives a Redis restart. `forBullWorker` connections must not fail commands while reconnecting.
 */
export function createRedisConnection(url: string, options: { forBullWorker?: boolean; name?: string } = {}): Redis {
  const redisOptions: RedisOptions = {
    connectionName: options.name,
    lazyConnect: false,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    reconnectOnError: () => true,
    maxRetriesPerRequest: options.forBullWorker ? null : 3,
  };
  return new IORedis(url, redisOptions);
}
