import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig, UnauthenticatedError } from '@switchboard/core';
import { Public } from '@switchboard/access';
import { MetricsService } from './metrics.service';

/** Prometheus text at /metrics; behind SWITCHBOARD_METRICS_TOKEN (a bearer token) when one is set. */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService, @Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get()
  @Public()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const token = this.config.SWITCHBOARD_METRICS_TOKEN;
    if (token && authorization !== `Bearer ${token}`) throw new UnauthenticatedError('metrics need the metrics token');
    void reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
