import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FastifyReply } from 'fastify';
import type { AuditEventRow, AuditQueryService } from '@switchboard/audit';
import type { RequestCaller } from '../http/current-caller.decorator';
import { AuditEventsController } from './audit-events.controller';

const caller = { ability: { scopeFor: () => ({ everywhere: true, projectIds: [] }) } } as unknown as RequestCaller;

function event(seq: number): AuditEventRow {
  return {
    seq: String(seq), id: `id-${seq}`, occurredAt: '2026-01-01T00:00:00.000Z', actorType: 'user', actorId: null, actorName: 'alice',
    ip: null, userAgent: null, tokenId: null, requestId: null, action: 'project.created', resourceType: null, resourceId: null,
    projectId: null, outcome: 'succeeded', reason: null, details: { note: 'x'.repeat(500) }, chainSeq: String(seq), prevHash: null, hash: null,
  };
}

/** A stand-in for AuditQueryService.stream: `batches` batches of 1,000 events, then optionally a failure. */
function auditService(batches: number, failure?: Error): { service: AuditQueryService; read: () => number; closed: () => boolean } {
  let read = 0;
  let closed = false;
  async function* stream(): AsyncGenerator<AuditEventRow[]> {
    try {
      for (let b = 0; b < batches; b += 1) {
        read += 1;
        yield Array.from({ length: 1_000 }, (_, i) => event(b * 1_000 + i + 1));
      }
      if (failure) throw failure;
    } finally {
      closed = true;
    }
  }
  return { service: { stream } as unknown as AuditQueryService, read: () => read, closed: () => closed };
}

/** A response whose client reads at once (`eager`) or never. */
function response(eager: boolean): { raw: Writable & { writeHead: () => void }; reply: FastifyReply; text: () => string } {
  const received: string[] = [];
  const raw = Object.assign(
    new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        received.push(chunk.toString());
        if (eager) done();
      },
    }),
    { writeHead: () => undefined },
  );
  const reply = { raw, hijack: () => undefined } as unknown as FastifyReply;
  return { raw, reply, text: () => received.join('') };
}

/** Resolves once the export waits for the client to read (it listens for 'drain'); fails after a deadline. */
async function waitingForClient(raw: Writable): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (raw.listenerCount('drain') === 0) {
    if (Date.now() > deadline) throw new Error('the export never waited for the client');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('AuditEventsController.export', () => {
  it('streams every event and ends the response', async () => {
    const audit = auditService(3);
    const { raw, reply, text } = response(true);
    await new AuditEventsController(audit.service).export(caller, { format: 'jsonl' }, reply);
    expect(raw.writableEnded).toBe(true);
    expect(text().trim().split('\n')).toHaveLength(3_000);
    expect(audit.closed()).toBe(true);
  });

  it('reads no further batch while the client is not reading', async () => {
    const audit = auditService(50);
    const { raw, reply } = response(false);
    const exporting = new AuditEventsController(audit.service).export(caller, { format: 'jsonl' }, reply);
    await waitingForClient(raw);
    expect(audit.read()).toBe(1);
    raw.destroy();
    await exporting;
  });

  it('stops the batches when the client goes away while it waits for the client', async () => {
    const audit = auditService(50);
    const { raw, reply } = response(false);
    const exporting = new AuditEventsController(audit.service).export(caller, { format: 'csv' }, reply);
    await waitingForClient(raw);
    raw.destroy();
    await exporting;
    expect(audit.read()).toBe(1);
    expect(audit.closed()).toBe(true);
  });

  it('breaks the response instead of ending it when reading fails midway', async () => {
    const audit = auditService(2, new Error('connection lost'));
    const { raw, reply, text } = response(true);
    await expect(new AuditEventsController(audit.service).export(caller, { format: 'jsonl' }, reply)).rejects.toThrow('connection lost');
    expect(raw.destroyed).toBe(true);
    expect(raw.writableEnded).toBe(false);
    expect(text().length).toBeGreaterThan(0);
  });
});
