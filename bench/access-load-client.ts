/**
 * The load generator's child process (forked by bench/access-load.ts): HTTP/1.1 keep-alive
 * requests on raw sockets, one request in flight per connection, like wrk without pipelining.
 * Raw sockets instead of node:http because on two cores every millisecond the client burns is
 * taken from the api or PostgreSQL; this one parses only the status line and Content-Length.
 */
import { connect, type Socket } from 'node:net';
import type { LoadJob, LoadResult } from './access-load';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;

export function runJob(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolveJob) => {
    const countMode = job.requests !== undefined;
    const warmupRequests = job.warmupRequests ?? 0;
    let latencies = new Float64Array(65_536);
    let recorded = 0;
    let phase: 'warmup' | 'measure' | 'done' = 'warmup';
    let measureStart = 0;
    let measureEnd = 0;
    let issued = 0;
    let completedInWindow = 0;
    let completedTotal = 0;
    let errors = 0;
    const errorSamples: string[] = [];
    const statuses: Record<string, number> = {};
    let bodyMin = Infinity;
    let bodyMax = 0;
    const sockets = new Set<Socket>();
    const requests = job.targets.map((t) => Buffer.from(
      `GET ${job.path} HTTP/1.1\r\nHost: ${t.host}:${t.port}\r\nAccept: application/json\r\nUser-Agent: switchboard-bench-access\r\n` +
      `${Object.entries(job.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`,
      'latin1',
    ));

    const fail = (message: string): void => {
      errors += 1;
      if (errorSamples.length < 5) errorSamples.push(message);
    };
    const record = (ms: number): void => {
      if (recorded === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[recorded] = ms;
      recorded += 1;
    };
    const finish = (): void => {
      if (phase === 'done') return;
      phase = 'done';
      measureEnd = performance.now();
      for (const socket of sockets) socket.destroy();
      const sorted = latencies.slice(0, recorded).sort();
      const seconds = (measureEnd - measureStart) / 1000;
      const count = countMode ? recorded : completedInWindow;
      let sum = 0;
      for (const v of sorted) sum += v;
      resolveJob({
        requests: count,
        completedTotal,
        errors,
        errorSamples,
        statuses,
        seconds: round(seconds, 3),
        perSecond: round(count / seconds, 1),
        latency: {
          count: sorted.length,
          min: round(sorted[0] ?? NaN), p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)),
          p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1] ?? NaN), mean: round(sum / Math.max(1, sorted.length)),
        },
        bodyBytes: { min: Number.isFinite(bodyMin) ? bodyMin : 0, max: bodyMax },
      });
    };
    const startMeasuring = (): void => {
      phase = 'measure';
      measureStart = performance.now();
    };
    const mayIssue = (): boolean => phase !== 'done' && (!countMode || issued < warmupRequests + (job.requests as number));

    const open = (index: number): void => {
      const target = job.targets[index % job.targets.length];
      const request = requests[index % job.targets.length];
      const socket = connect(target.port, target.host);
      sockets.add(socket);
      socket.setNoDelay(true);
      let head: Buffer | null = null;
      let bodyLeft = -1;
      let bodyLength = 0;
      let status = 0;
      let sentAt = 0;
      let sentWhileMeasuring = false;
      let broken = false;
      const send = (): void => {
        if (!mayIssue()) return;
        issued += 1;
        if (countMode && phase === 'warmup' && issued > warmupRequests) startMeasuring();
        sentWhileMeasuring = phase === 'measure';
        sentAt = performance.now();
        socket.write(request);
      };
      const complete = (): void => {
        const now = performance.now();
        completedTotal += 1;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== job.expectStatus) fail(`HTTP ${status}`);
        if (phase === 'measure') {
          completedInWindow += 1;
          if (sentWhileMeasuring) record(now - sentAt);
          bodyMin = Math.min(bodyMin, bodyLength);
          bodyMax = Math.max(bodyMax, bodyLength);
        }
        if (countMode && recorded >= (job.requests as number)) finish();
        else send();
      };
      const reconnect = (reason: string): void => {
        if (broken) return;
        broken = true;
        sockets.delete(socket);
        socket.destroy();
        if (phase === 'done') return;
        fail(reason);
        setTimeout(() => open(index), 10);
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        let body = chunk;
        if (bodyLeft < 0) {
          head = head ? Buffer.concat([head, chunk]) : chunk;
          const end = head.indexOf(HEADER_END);
          if (end < 0) return;
          status = Number(head.toString('latin1', 9, 12));
          const length = CONTENT_LENGTH.exec(head.toString('latin1', 0, end));
          if (!length) {
            reconnect(`HTTP ${status} response without Content-Length`);
            return;
          }
          bodyLength = Number(length[1]);
          bodyLeft = bodyLength;
          body = head.subarray(end + HEADER_END.length);
          head = null;
        }
        bodyLeft -= body.length;
        if (bodyLeft > 0) return;
        if (bodyLeft < 0) {
          reconnect('more bytes than Content-Length (pipelining is not used)');
          return;
        }
        bodyLeft = -1;
        complete();
      });
      socket.on('error', (error) => reconnect(error.message));
      socket.on('close', () => reconnect('connection closed by the server'));
    };

    for (let i = 0; i < job.connections; i += 1) open(i);
    if (!countMode) {
      setTimeout(() => {
        startMeasuring();
        setTimeout(finish, job.durationMs);
      }, job.warmupMs ?? 0);
    } else if (warmupRequests === 0) {
      startMeasuring();
    }
  });
}

if (require.main === module) {
  process.on('message', (job: LoadJob & { id: number }) => {
    void runJob(job).then((result) => process.send?.({ id: job.id, result }));
  });
  process.on('disconnect', () => process.exit(0));
}
