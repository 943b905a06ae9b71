import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** What the access log says about a request once it is answered. */
export function accessLogFields(request: FastifyRequest, reply: FastifyReply): Record<string, unknown> {
  return {
    method: request.method,
    // The path without its query string, so nothing a client puts there reaches the log.
    path: request.url.split('?', 1)[0],
    // The route pattern groups requests to the same endpoint (ids vary).
    route: request.routeOptions?.url ?? null,
    status: reply.statusCode,
    ip: request.ip,
    responseTime: reply.elapsedTime,
  };
}

/**
 * The access log: one line per request, once it is answered, where Fastify writes two ("incoming
 * request", then a "request completed" that names neither the method nor the path). The fields sit
 * at the top level: under `req`/`res`, Fastify's serializers would keep only those they know.
 * Fastify's lines that would name the URL with its query string use the same fields instead.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // Said by the line written when the request is answered.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ ...accessLogFields(request, reply), err: error }, 'request errored');
    else reply.log.info(accessLogFields(request, reply), 'request completed');
  }

  override routeNotFound(): void {
    // The access line says it: status 404, no route.
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (reply.statusCode >= 500) reply.log.error({ ...accessLogFields(request, reply), err: error }, error.message);
    else reply.log.info({ ...accessLogFields(request, reply), err: error }, error.message);
  }
}
