import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Authenticated, Requires } from '@switchboard/access';
import {
  EXECUTION_STATUSES, ExecutionApprovalService, ExecutionLiveHub, ExecutionService, type ExecutionTrigger, type ExecutionView, isTerminal, type LiveMessage, type LogLine,
  toExecutionView,
} from '@switchboard/executions';
import { Caller, type RequestCaller } from '../http/current-caller.decorator';
import { ZodPipe } from '../http/zod-body.pipe';
import { ApiZodBody } from '../http/api-zod-body.decorator';
import { decodeCursor, encodeCursor, pageQuerySchema } from '../http/page-query';

const UUID = new ParseUUIDPipe({ errorHttpStatusCode: 404 });
const runSchema = z.object({ params: z.record(z.string(), z.unknown()).optional() }).strict();
const historyQuery = pageQuerySchema.extend({
  procedure: z.string().uuid('must be a procedure id').optional(),
  project: z.string().uuid('must be a project id').optional(),
  triggeredBy: z.string().uuid('must be a user id').optional(),
  status: z.string().optional().transform((v, ctx) => {
    if (!v) return undefined;
    const list = v.split(',');
    const bad = list.find((s) => !(EXECUTION_STATUSES as readonly string[]).includes(s));
    if (bad) ctx.addIssue({ code: 'custom', message: `must be one of ${EXECUTION_STATUSES.join(', ')}` });
    return list as Array<(typeof EXECUTION_STATUSES)[number]>;
  }),
});
const logsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
const TRIGGER_HEADER = /^(web|cli|api)$/;
const decisionSchema = z.object({ comment: z.string().max(2000).optional() }).strict();
const statsQuery = z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) });

@ApiTags('executions')
@Controller()
export class ExecutionsController {
  constructor(
    private readonly executions: ExecutionService,
    private readonly live: ExecutionLiveHub,
    private readonly approvals: ExecutionApprovalService,
  ) {}

  private async detail(execution: Parameters<typeof toExecutionView>[0]): Promise<ExecutionView & { approval?: unknown }> {
    const view = toExecutionView(execution);
    if (execution.approvalsRequired === 0) return view;
    const decisions = await this.approvals.decisions(execution.id);
    return {
      ...view,
      approval: {
        required: execution.approvalsRequired,
        expiresAt: execution.approvalExpiresAt?.toISOString() ?? null,
        decisions: decisions.map((d) => ({ by: { id: d.decidedBy, name: d.decidedByName }, decision: d.decision, comment: d.comment, at: d.decidedAt.toISOString() })),
      },
    };
  }

  /** Starts a run; 201 at once with the queued (or waiting-for-approval) execution. */
  @Post('procedures/:id/executions')
  @Requires('run', 'Procedure')
  @ApiZodBody(runSchema)
  async run(
    @Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Body(new ZodPipe(runSchema)) body: z.infer<typeof runSchema>,
    @Headers('x-switchboard-client') client?: string,
  ): Promise<ExecutionView> {
    const trigger: ExecutionTrigger = client && TRIGGER_HEADER.test(client) ? (client as ExecutionTrigger) : 'api';
    return toExecutionView(await this.executions.start(caller.actor, caller.ability!, id, body.params ?? {}, trigger));
  }

  /** Runs, success rate, p50/p95 duration and toil minutes saved over the last `days` (default 30). */
  @Get('procedures/:id/stats')
  @Authenticated()
  async stats(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Query(new ZodPipe(statsQuery, 'query')) query: z.infer<typeof statsQuery>): Promise<Record<string, unknown>> {
    return this.executions.stats(caller.ability!, id, query.days);
  }

  @Get('executions')
  @Authenticated()
  async history(@Caller() caller: RequestCaller, @Query(new ZodPipe(historyQuery, 'query')) query: z.infer<typeof historyQuery>): Promise<{ items: ExecutionView[]; nextCursor: string | null }> {
    const rows = await this.executions.list(caller.ability!, {
      procedureId: query.procedure, projectId: query.project, status: query.status, triggeredBy: query.triggeredBy, limit: query.limit + 1,
      after: query.cursor ? decodeCursor<{ queuedAt: string; id: string }>(query.cursor) : null,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((e) => toExecutionView(e, { procedureName: e.procedureName })),
      nextCursor: rows.length > query.limit ? encodeCursor({ queuedAt: last.queuedAt.toISOString(), id: last.id }) : null,
    };
  }

  @Get('executions/:id')
  @Authenticated()
  async get(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<ExecutionView> {
    return this.detail(await this.executions.load(caller.ability!, id));
  }

  /** Approves a run waiting for approval; the requester never can. Queued once enough approve. */
  @Post('executions/:id/approve')
  @HttpCode(200)
  @Requires('approve', 'Execution')
  @ApiZodBody(decisionSchema)
  async approve(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Body(new ZodPipe(decisionSchema)) body: z.infer<typeof decisionSchema>): Promise<ExecutionView> {
    return this.detail(await this.approvals.decide(caller.actor, caller.ability!, id, 'approved', body.comment ?? null));
  }

  /** One rejection ends the run as `rejected`; it never reaches a worker. */
  @Post('executions/:id/reject')
  @HttpCode(200)
  @Requires('approve', 'Execution')
  @ApiZodBody(decisionSchema)
  async reject(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Body(new ZodPipe(decisionSchema)) body: z.infer<typeof decisionSchema>): Promise<ExecutionView> {
    return this.detail(await this.approvals.decide(caller.actor, caller.ability!, id, 'rejected', body.comment ?? null));
  }

  @Get('executions/:id/logs')
  @Authenticated()
  async logs(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Query(new ZodPipe(logsQuery, 'query')) query: z.infer<typeof logsQuery>): Promise<{ items: LogLine[]; nextCursor: string | null; status: string }> {
    const { execution, lines } = await this.executions.logs(caller.ability!, id, query.after, query.limit);
    const more = lines.length === query.limit;
    return { items: lines, nextCursor: more ? String(lines[lines.length - 1].seq) : null, status: execution.status };
  }

  /**
   * Server-sent events: replays stored lines after Last-Event-ID (or ?after=), then follows live
   * lines, then sends `end` with the final status. Subscribing before replaying means a line
   * stored meanwhile arrives by one path or the other, and sequence numbers drop duplicates.
   */
  @Get('executions/:id/logs/stream')
  @Authenticated()
  async stream(@Caller() caller: RequestCaller, @Param('id', UUID) id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.executions.load(caller.ability!, id);
    const lastEventId = Number(request.headers['last-event-id'] ?? (request.query as { after?: string }).after ?? 0);
    let sent = Number.isSafeInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0;
    const raw = reply.raw;
    let closed = false;
    let finalStatus: string | null = null;
    const backlog: LiveMessage[] = [];
    let replaying = true;

    const write = (chunk: string): void => {
      if (!closed) raw.write(chunk);
    };
    const sendLines = (lines: LogLine[]): void => {
      for (const line of lines) {
        if (line.seq <= sent) continue;
        sent = line.seq;
        write(`id: ${line.seq}\nevent: line\ndata: ${JSON.stringify(line)}\n\n`);
      }
    };
    const end = (status: string): void => {
      if (closed) return;
      write(`event: end\ndata: ${JSON.stringify({ status, lastSeq: sent })}\n\n`);
      finish();
    };
    let unfollow: () => void = () => undefined;
    const timers: { keepAlive?: NodeJS.Timeout } = {};
    const finish = (): void => {
      if (closed) return;
      closed = true;
      unfollow();
      if (timers.keepAlive) clearInterval(timers.keepAlive);
      raw.end();
    };
    const handle = (message: LiveMessage): void => {
      if (replaying) {
        backlog.push(message);
        return;
      }
      if (message.type === 'lines') sendLines(message.lines);
      else if (message.type === 'status') write(`event: status\ndata: ${JSON.stringify({ status: message.status })}\n\n`);
      else void this.catchUpAndEnd(id, () => sent, sendLines, () => end(message.status));
    };

    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
      'x-content-type-options': 'nosniff',
    });
    raw.on('close', finish);
    write('retry: 2000\n\n');
    unfollow = await this.live.follow(id, handle);
    timers.keepAlive = setInterval(() => write(': keep-alive\n\n'), 15_000);

    // Replay everything stored, in pages, then release what arrived live meanwhile.
    for (;;) {
      const { execution, lines } = await this.executions.logs(caller.ability!, id, sent, 2000);
      sendLines(lines);
      if (lines.length < 2000) {
        if (isTerminal(execution.status)) finalStatus = execution.status;
        break;
      }
    }
    replaying = false;
    for (const message of backlog.splice(0)) handle(message);
    if (finalStatus && !closed) {
      // Ended before or during the replay: anything stored in the last moment is read again.
      await this.catchUpAndEnd(id, () => sent, sendLines, () => end(finalStatus as string));
    }
  }

  private async catchUpAndEnd(id: string, after: () => number, sendLines: (lines: LogLine[]) => void, end: () => void): Promise<void> {
    for (;;) {
      const lines = await this.executions.storedLines(id, after(), 2000);
      sendLines(lines);
      if (lines.length < 2000) break;
    }
    end();
  }

  @Post('executions/:id/cancel')
  @HttpCode(200)
  @Requires('cancel', 'Execution')
  async cancel(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<ExecutionView> {
    return toExecutionView(await this.executions.cancel(caller.actor, caller.ability!, id));
  }

  @Post('executions/:id/rerun')
  @Requires('run', 'Procedure')
  async rerun(@Caller() caller: RequestCaller, @Param('id', UUID) id: string): Promise<ExecutionView> {
    return toExecutionView(await this.executions.rerun(caller.actor, caller.ability!, id));
  }
}
