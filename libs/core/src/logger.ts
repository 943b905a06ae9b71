import pino, { type Logger } from 'pino';
import type { LoggerService } from '@nestjs/common';
import { LOG_REDACT_PATHS } from './redaction';
import { currentRequestContext } from './request-context';

export type { Logger } from 'pino';

/** Structured JSON logs; secrets redacted at the logger so no call site can leak them. */
export function createLogger(name: string, level = process.env.SWITCHBOARD_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: LOG_REDACT_PATHS, censor: '***' },
    base: { pid: process.pid, service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Lines logged while handling a request carry its id (Fastify's own request logs add it too).
    mixin: () => {
      const context = currentRequestContext();
      return context ? { requestId: context.requestId } : {};
    },
  });
}

/** Adapts pino to Nest's LoggerService so framework messages are structured too. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
