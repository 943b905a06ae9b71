export type StepOutcome = 'succeeded' | 'failed' | 'timed_out' | 'canceled';

export type StepStream = 'stdout' | 'stderr' | 'system';

export interface StepLine {
  stream: StepStream;
  text: string;
  /** True when this piece continues the previous piece of an over-long line. */
  continued: boolean;
}

export type OnStepLine = (line: StepLine) => void;

export interface StepResult {
  outcome: StepOutcome;
  exitCode: number | null;
  signal: string | null;
  reason?: string;
  outputs: Record<string, string>;
  startedAt: Date;
  finishedAt: Date;
}
