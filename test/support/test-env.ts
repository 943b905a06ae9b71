import { inject } from 'vitest';
import { type AppConfig, loadConfig } from '@switchboard/core';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from './constants';

/** Configuration pointing at the run's shared PostgreSQL and Redis, with overrides per test file. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    PORT: '0',
    HOST: '127.0.0.1',
    SWITCHBOARD_ADMIN_USERNAME: ADMIN_USERNAME,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SWITCHBOARD_LOG_LEVEL: process.env.SWITCHBOARD_TEST_LOG_LEVEL ?? 'silent',
    SWITCHBOARD_LOGIN_MAX_FAILURES_PER_IP: '100000',
    SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE: 'true',
    ...overrides,
  });
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    SWITCHBOARD_ADMIN_USERNAME: ADMIN_USERNAME,
    SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SWITCHBOARD_LOG_LEVEL: process.env.SWITCHBOARD_TEST_LOG_LEVEL ?? 'warn',
    SWITCHBOARD_LOGIN_MAX_FAILURES_PER_IP: '100000',
    ...overrides,
  };
}
