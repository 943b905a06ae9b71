import 'reflect-metadata';
import { createServer } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { createLogger, loadConfigOrExit, PinoNestLogger } from '@switchboard/core';
import { WorkerModule } from './worker.module';
import { ExecutionsProcessor } from './executions.processor';

/** The worker: BullMQ processors and their supervision. No HTTP API, only an optional health port. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger('worker', config.SWITCHBOARD_LOG_LEVEL);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new PinoNestLogger(logger), abortOnError: false });
  const processor = app.get(ExecutionsProcessor);
  await processor.start();

  let healthy = true;
  if (config.SWITCHBOARD_WORKER_HEALTH_PORT !== undefined) {
    const server = createServer((request, response) => {
      const ok = request.url === '/health/live' || (request.url === '/health/ready' && healthy);
      response.writeHead(ok ? 200 : request.url?.startsWith('/health/') ? 503 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', workerId: processor.workerId }));
    });
    server.listen(config.SWITCHBOARD_WORKER_HEALTH_PORT, config.HOST);
    server.unref();
  }

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    healthy = false;
    logger.info({ signal }, 'draining');
    processor.drain()
      .then(() => app.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'drain failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`switchboard worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
