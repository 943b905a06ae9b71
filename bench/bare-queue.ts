/** What the bare pipeline's producer (the benchmark) and its worker process agree on. */
export const BARE_QUEUE = 'bare-executions';
export const BARE_PREFIX = 'bench';
/** One row per job, written with three autocommit statements. */
export const BARE_TABLE = 'bench_bare_jobs';

export interface BareJobData {
  batch: string;
  /** Arguments of bash; `-c true` when absent. */
  args?: string[];
}
