import IORedis, { type Redis, type RedisOptions } from 'ioredis';

/**
 * Creates an ioredis connection that reconnects forever with a capped backoff, so every process
 * survives a Redis restart. `forBullWorker` connections must not fail commands while reconnecting.
 */
export function createRedisConnection(url: string, options: { forBullWorker?: boolean; name?: string; onError?: (error: Error) => void } = {}): Redis {
  const redisOptions: RedisOptions = {
    connectionName: options.name,
    lazyConnect: false,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    reconnectOnError: () => true,
    maxRetriesPerRequest: options.forBullWorker ? null : 3,
  };
  const connection = new IORedis(url, redisOptions);
  // Reconnection is automatic; without a listener ioredis prints every failed attempt to stderr.
  connection.on('error', options.onError ?? (() => undefined));
  return connection;
}
