import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '@switchboard/core';
import { Public } from '@switchboard/access';

/** Liveness and readiness; served at /health/* and /api/v1/health/*. */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly dataSource: DataSource, @Inject(REDIS) private readonly redis: Redis) {}

  @Get('live')
  @HttpCode(200)
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, string>> {
    const [postgres, redis] = await Promise.all([
      withTimeout(this.dataSource.query('SELECT 1')).then(() => 'ok', () => 'unreachable'),
      withTimeout(this.redis.ping()).then(() => 'ok', () => 'unreachable'),
    ]);
    const ready = postgres === 'ok' && redis === 'ok';
    void reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', postgres, redis };
  }
}

function withTimeout<T>(promise: Promise<T>, ms = 2_000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}
