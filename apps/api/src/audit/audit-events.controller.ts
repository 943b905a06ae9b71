import type { ServerResponse } from 'node:http';
import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ForbiddenError, NotFoundError } from '@switchboard/core';
import { Requires } from '@switchboard/access';
import { type AuditEventRow, type AuditFilter, AuditQueryService, type ChainCheck } from '@switchboard/audit';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { decodeCursor, encodeCursor, pageQuerySchema } from '../http/page-query';
import { auditExportText } from './audit-export-text';

const filterSchema = z.object({
  actor: z.string().max(200).optional(),
  action: z.string().regex(/^[a-z_.*]{1,100}$/, 'must be an action or a prefix like procedure.*').optional(),
  resourceType: z.string().max(100).optional(),
  resourceId: z.string().max(200).optional(),
  project: z.string().uuid('must be a project id').optional(),
  outcome: z.enum(['allowed', 'denied', 'succeeded', 'failed']).optional(),
  from: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
  to: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).optional(),
});
const listSchema = pageQuerySchema.extend(filterSchema.shape);
const exportSchema = filterSchema.extend({ format: z.enum(['jsonl', 'csv']).default('jsonl') });
const verifySchema = z.object({ from: filterSchema.shape.from, to: filterSchema.shape.to });

/** Resolves true once the response takes more text, false if the client has gone meanwhile. */
function drained(raw: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (writable: boolean) => (): void => {
      raw.off('drain', onDrain);
      raw.off('close', onClose);
      resolve(writable);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    raw.on('drain', onDrain);
    raw.on('close', onClose);
  });
}

@ApiTags('audit')
@Controller('audit-events')
export class AuditEventsController {
  constructor(private readonly audit: AuditQueryService) {}

  private filterFor(caller: RequestCaller, query: z.infer<typeof filterSchema>): AuditFilter {
    const scope = caller.ability!.scopeFor('read', 'AuditEvent');
    return {
      ...query,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      projectIds: scope.everywhere ? null : scope.projectIds,
    };
  }

  /** Newest first, cursor-paged; every filter has an index. */
  @Get()
  @Requires('read', 'AuditEvent')
  async list(@Caller() caller: RequestCaller, @Query(new ZodPipe(listSchema, 'query')) query: z.infer<typeof listSchema>): Promise<{ items: AuditEventRow[]; nextCursor: string | null }> {
    const rows = await this.audit.page(this.filterFor(caller, query), query.limit + 1, query.cursor ? decodeCursor<string>(query.cursor) : null);
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? encodeCursor(items[items.length - 1].seq) : null };
  }

  /** Streams a filter as JSON Lines or CSV, oldest first, with the chain hashes, in constant memory. */
  @Get('export')
  @Requires('export', 'AuditEvent')
  async export(@Caller() caller: RequestCaller, @Query(new ZodPipe(exportSchema, 'query')) query: z.infer<typeof exportSchema>, @Res() reply: FastifyReply): Promise<void> {
    const filter = this.filterFor(caller, query);
    const raw = reply.raw;
    reply.hijack();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    raw.writeHead(200, {
      'content-type': query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="switchboard-audit-${stamp}.${query.format}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    // Leaving the loop early (the client has gone) returns the generators, which stops the batches.
    try {
      for await (const piece of auditExportText(this.audit.stream(filter), query.format)) {
        if (raw.destroyed) return;
        if (!raw.write(piece) && !(await drained(raw))) return;
      }
      raw.end();
    } catch (error) {
      // No terminating chunk: the client sees a broken download, never a short file that looks complete.
      raw.destroy();
      throw error;
    }
  }

  @Get('verify')
  @Requires('read', 'AuditEvent')
  async verify(@Caller() caller: RequestCaller, @Query(new ZodPipe(verifySchema, 'query')) query: z.infer<typeof verifySchema>): Promise<ChainCheck> {
    if (!caller.ability!.scopeFor('read', 'AuditEvent').everywhere) throw new ForbiddenError('verifying the chain needs read on the whole audit log');
    return this.audit.verify({ from: query.from ? new Date(query.from) : undefined, to: query.to ? new Date(query.to) : undefined });
  }

  @Get(':id')
  @Requires('read', 'AuditEvent')
  async get(@Caller() caller: RequestCaller, @Param('id') id: string): Promise<AuditEventRow> {
    const event = await this.audit.get(id);
    const scope = caller.ability!.scopeFor('read', 'AuditEvent');
    if (!event || (!scope.everywhere && !(event.projectId && scope.projectIds.includes(event.projectId)))) throw new NotFoundError('audit event');
    return event;
  }
}
