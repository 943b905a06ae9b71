import type { ChainCheck } from '@switchboard/audit';
import { type AuditApiClient, RssSampler } from './audit-api';
import { queryString } from './audit-query-cases';
import { elapsedMs, megabytes } from './audit-stats';

export interface ExportResult {
  format: 'jsonl' | 'csv';
  query: Record<string, string>;
  events: number;
  ms: number;
  firstByteMs: number;
  eventsPerSecond: number;
  megabytes: number;
  megabytesPerSecond: number;
  idleRssMb: number;
  peakRssMb: number;
  /** The api's memory as its /metrics reports it: before the export, and the highest of each tenth of the export's duration. */
  memory: { idle: MemorySample | null; tenths: Array<MemorySample | null> };
}

export interface VerifyResult {
  query: Record<string, string>;
  ms: number;
  check: ChainCheck;
  eventsPerSecond: number;
  peakRssMb: number;
}

/** MB; heap used and old space are V8's, external includes the ArrayBuffers (socket and pg buffers). */
export interface MemorySample {
  rssMb: number;
  heapUsedMb: number;
  oldSpaceMb: number;
  externalMb: number;
}

const MEMORY_METRICS: Record<keyof MemorySample, string> = {
  rssMb: 'switchboard_api_process_resident_memory_bytes',
  heapUsedMb: 'switchboard_api_nodejs_heap_size_used_bytes',
  oldSpaceMb: 'switchboard_api_nodejs_heap_space_size_used_bytes{space="old"}',
  externalMb: 'switchboard_api_nodejs_external_memory_bytes',
};

/** One scrape of the api's Prometheus endpoint (prom-client's default process and V8 metrics). */
async function scrapeMemory(baseUrl: string): Promise<MemorySample | null> {
  const response = await fetch(`${baseUrl}/metrics`).catch(() => null);
  if (!response || response.status !== 200) return null;
  const text = await response.text();
  const sample = {} as MemorySample;
  for (const [key, metric] of Object.entries(MEMORY_METRICS) as Array<[keyof MemorySample, string]>) {
    const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
    if (!line) return null;
    sample[key] = megabytes(Number(line.slice(metric.length + 1)));
  }
  return sample;
}

/**
 * Scrapes the api's memory every `intervalMs` while an export runs (one scrape at a time), so a
 * heap that grows with the number of events shows as a rising line rather than a single peak.
 */
class MemoryTimeline {
  private readonly samples: Array<{ at: number; sample: MemorySample }> = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly baseUrl: string,
    private readonly intervalMs = 500,
  ) {}

  start(): this {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const sample = await scrapeMemory(this.baseUrl);
        if (sample) this.samples.push({ at: Date.now(), sample });
        await new Promise((r) => setTimeout(r, this.intervalMs));
      }
    })();
    return this;
  }

  /** The highest value of each field within each tenth of [from, to]; null where no scrape landed. */
  async stop(from: number, to: number): Promise<Array<MemorySample | null>> {
    this.running = false;
    await this.loop;
    const span = Math.max(1, to - from);
    return Array.from({ length: 10 }, (_, i) => {
      const inside = this.samples.filter((s) => s.at > from + (span * i) / 10 && s.at <= from + (span * (i + 1)) / 10).map((s) => s.sample);
      if (inside.length === 0) return null;
      const highest = (key: keyof MemorySample): number => Math.max(...inside.map((s) => s[key]));
      return { rssMb: highest('rssMb'), heapUsedMb: highest('heapUsedMb'), oldSpaceMb: highest('oldSpaceMb'), externalMb: highest('externalMb') };
    });
  }
}

async function idleRss(pid: number): Promise<number> {
  let kb = 0;
  for (let i = 0; i < 10; i += 1) {
    kb = Math.max(kb, RssSampler.readKb(pid));
    await new Promise((r) => setTimeout(r, 50));
  }
  return Math.round(kb / 102.4) / 10;
}

/**
 * Streams an export to the end as fast as this client reads, sampling the api's RSS every 50 ms
 * (for the peak) and its heap, old space, external memory and RSS from /metrics every 500 ms.
 */
export async function measureExport(client: AuditApiClient, apiPid: number, format: 'jsonl' | 'csv', query: Record<string, string>): Promise<ExportResult> {
  const idleRssMb = await idleRss(apiPid);
  const idleMemory = await scrapeMemory(client.baseUrl);
  const sampler = new RssSampler(apiPid).start();
  const timeline = new MemoryTimeline(client.baseUrl).start();
  const startedAt = Date.now();
  const download = await client.download(`/api/v1/audit-events/export?${queryString(query, { format })}`);
  const { peakMb } = sampler.stop();
  const tenths = await timeline.stop(startedAt, Date.now());
  if (download.status !== 200) throw new Error(`export ${format}: ${download.status}`);
  const events = format === 'csv' ? download.lines - 1 : download.lines;
  const seconds = download.ms / 1000;
  return {
    format,
    query,
    events,
    ms: Math.round(download.ms),
    firstByteMs: Math.round(download.firstByteMs),
    eventsPerSecond: Math.round(events / seconds),
    megabytes: megabytes(download.bytes),
    megabytesPerSecond: Math.round((download.bytes / 1024 / 1024 / seconds) * 10) / 10,
    idleRssMb,
    peakRssMb: peakMb,
    memory: { idle: idleMemory, tenths },
  };
}

/** GET /api/v1/audit-events/verify over a range of events whose hashes form a real chain. */
export async function measureVerify(client: AuditApiClient, apiPid: number, query: Record<string, string>): Promise<VerifyResult> {
  const sampler = new RssSampler(apiPid).start();
  const started = process.hrtime.bigint();
  const response = await client.get<ChainCheck>(`/api/v1/audit-events/verify?${queryString(query)}`);
  const ms = elapsedMs(started);
  const { peakMb } = sampler.stop();
  if (response.status !== 200) throw new Error(`verify: ${response.status} ${JSON.stringify(response.body)}`);
  return { query, ms: Math.round(ms), check: response.body, eventsPerSecond: Math.round(response.body.checked / (ms / 1000)), peakRssMb: peakMb };
}
