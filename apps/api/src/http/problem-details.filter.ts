import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DomainError, type FieldError, ForbiddenError, LOGGER, type Logger, NotVisibleError, RateLimitedError, SYSTEM_ACTOR, TransactionRunner, UnauthenticatedError,
} from '@switchboard/core';
import { AuditWriter } from '@switchboard/audit';
import type { CallerRequest } from './current-caller.decorator';
import { recordDenial } from './access.guard';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
}

const DOMAIN_STATUS: Record<DomainError['kind'], [number, string]> = {
  invalid: [400, 'Bad Request'],
  unauthenticated: [401, 'Unauthorized'],
  forbidden: [403, 'Forbidden'],
  not_found: [404, 'Not Found'],
  conflict: [409, 'Conflict'],
  too_large: [413, 'Payload Too Large'],
  unprocessable: [422, 'Unprocessable Content'],
  rate_limited: [429, 'Too Many Requests'],
};

const FASTIFY_STATUS: Record<string, number> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
};

/**
 * Maps every error to application/problem+json (RFC 9457). Unknown errors become a 500 that
 * reveals nothing but the request id; their details go to the log.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditWriter,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = this.toProblem(exception);
    problem.instance = request.url.split('?')[0];
    problem.requestId = String(request.id);
    if (problem.status >= 500) this.logger.error({ err: exception, reqId: request.id }, 'unhandled error');
    if (exception instanceof RateLimitedError) reply.header('retry-after', String(exception.retryAfterSeconds));
    await this.recordRefusal(exception, request as CallerRequest);
    void reply.status(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(JSON.stringify(problem));
  }

  /** Refusals decided inside services (object-level 403, 404 for what the caller may not see) are audited here. */
  private async recordRefusal(exception: unknown, request: CallerRequest): Promise<void> {
    const refused = exception instanceof NotVisibleError || exception instanceof ForbiddenError || exception instanceof UnauthenticatedError;
    if (!refused || exception.audited) return;
    exception.audited = true;
    const actor = request.caller?.actor ?? { ...SYSTEM_ACTOR, type: 'anonymous' as const, name: 'anonymous' };
    const resource = exception instanceof NotVisibleError ? { type: exception.resourceType, id: exception.resourceId } : {};
    const reason = exception instanceof NotVisibleError ? `${exception.resourceType} not visible to the caller` : exception.message;
    await recordDenial(this.tx, this.audit, actor, request, reason, resource).catch((error: unknown) => {
      this.logger.error({ err: error, reqId: request.id }, 'could not audit a refused request');
    });
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof DomainError) {
      const [status, title] = DOMAIN_STATUS[exception.kind];
      const errors = 'errors' in exception && Array.isArray(exception.errors) && exception.errors.length > 0 ? (exception.errors as FieldError[]) : undefined;
      return { type: `https://switchboard.dev/problems/${exception.kind.replace('_', '-')}`, title, status, detail: exception.message, errors };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const detail = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return { type: 'about:blank', title: exception.name.replace(/Exception$/, '').replace(/([a-z])([A-Z])/g, '$1 $2'), status, detail: status === 404 ? 'no such route' : String(detail ?? exception.message) };
    }
    const fastifyError = exception as { code?: string; statusCode?: number; message?: string };
    const status = (fastifyError.code && FASTIFY_STATUS[fastifyError.code]) ?? (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500 ? fastifyError.statusCode : undefined);
    if (status) {
      const detail = exception instanceof SyntaxError || fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'request body is not valid JSON' : fastifyError.message;
      return { type: 'about:blank', title: status === 413 ? 'Payload Too Large' : status === 415 ? 'Unsupported Media Type' : 'Bad Request', status, detail };
    }
    return { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'an unexpected error occurred; quote the request id when reporting it' };
  }
}
