import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { FastifyRequest } from 'fastify';
import { requestContextStorage } from '@switchboard/core';

/** Runs each handler inside the request's context, so every log line it causes carries the request id. */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const store = {
      requestId: String(request.id),
      ip: request.ip,
      userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined,
    };
    return new Observable((subscriber) => requestContextStorage.run(store, () => next.handle().subscribe(subscriber)));
  }
}
