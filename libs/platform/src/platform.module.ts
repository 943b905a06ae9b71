import { type DynamicModule, Global, Inject, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, createLogger, createRedisConnection, LOGGER, type Logger, REDIS, SecretBox, TransactionRunner } from '@switchboard/core';
import { AuditSealer, AuditWriter } from '@switchboard/audit';
import { AccessRepository } from '@switchboard/access';
import { createDataSource, initializeWithRetry } from './data-source';
import { loadEncryptionKey } from './bootstrap';

/**
 * Shared infrastructure for every app: configuration, the PostgreSQL DataSource, a Redis
 * connection, the transaction runner, the audit writer, and the audit sealer that every process
 * runs in the background (one at a time seals; the others find the chain head taken and skip).
 */
@Global()
@Module({})
export class PlatformModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly sealer: AuditSealer,
  ) {}

  static forRoot(config: AppConfig, serviceName: string): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: LOGGER, useValue: createLogger(serviceName, config.SWITCHBOARD_LOG_LEVEL) },
        {
          provide: DataSource,
          useFactory: () =>
            initializeWithRetry(createDataSource({ url: config.DATABASE_URL, poolSize: config.SWITCHBOARD_DB_POOL_SIZE, applicationName: `switchboard-${serviceName}` })),
        },
        { provide: REDIS, useFactory: () => createRedisConnection(config.REDIS_URL, { name: `switchboard-${serviceName}` }) },
        { provide: TransactionRunner, useFactory: (dataSource: DataSource) => new TransactionRunner(dataSource), inject: [DataSource] },
        { provide: AuditWriter, useValue: new AuditWriter() },
        {
          provide: AuditSealer,
          useFactory: (dataSource: DataSource, logger: Logger) =>
            new AuditSealer(dataSource, { onError: (error) => logger.warn({ err: error }, 'audit sealing failed; retrying') }),
          inject: [DataSource, LOGGER],
        },
        {
          provide: SecretBox,
          useFactory: async (dataSource: DataSource, logger: Logger) => new SecretBox(await loadEncryptionKey(dataSource, config, logger)),
          inject: [DataSource, LOGGER],
        },
        { provide: AccessRepository, useFactory: (dataSource: DataSource) => new AccessRepository(dataSource), inject: [DataSource] },
      ],
      exports: [APP_CONFIG, LOGGER, DataSource, REDIS, TransactionRunner, AuditWriter, AuditSealer, AccessRepository, SecretBox],
    };
  }

  onApplicationBootstrap(): void {
    this.sealer.start(this.config.SWITCHBOARD_AUDIT_SEAL_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sealer.stop();
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
