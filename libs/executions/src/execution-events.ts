import type { ExecutionStatus } from './execution-state';
import type { LogStream } from './execution-log.entity';

/** A stored log line as the API and the live stream show it. */
export interface LogLine {
  seq: number;
  ts: string;
  stream: LogStream;
  step: string | null;
  text: string;
}

/** Messages published on an execution's Redis channel for live viewers. */
export type LiveMessage =
  | { type: 'lines'; lines: LogLine[] }
  | { type: 'status'; status: ExecutionStatus }
  | { type: 'end'; status: ExecutionStatus; lastSeq: number };
