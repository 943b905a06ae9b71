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
}

export interface VerifyResult {
  query: Record<string, string>;
  ms: number;
  check: ChainCheck;
  eventsPerSecond: number;
  peakRssMb: number;
}

async function idleRss(pid: number): Promise<number> {
  let kb = 0;
  for (let i = 0; i < 10; i += 1) {
    kb = Math.max(kb, RssSampler.readKb(pid));
    await new Promise((r) => setTimeout(r, 50));
  }
  return Math.round(kb / 102.4) / 10;
}

/** Streams an export to the end as fast as this client reads, sampling the api's memory every 50 ms. */
export async function measureExport(client: AuditApiClient, apiPid: number, format: 'jsonl' | 'csv', query: Record<string, string>): Promise<ExportResult> {
  const idleRssMb = await idleRss(apiPid);
  const sampler = new RssSampler(apiPid).start();
  const download = await client.download(`/api/v1/audit-events/export?${queryString(query, { format })}`);
  const { peakMb } = sampler.stop();
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
