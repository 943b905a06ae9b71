import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Wall-clock now in epoch milliseconds with sub-millisecond resolution (comparable across processes). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The moment a step's process is running, written by the step itself: bash's $EPOCHREALTIME is
 * the wall clock in microseconds, read without starting another process (unlike `date`).
 */
export class StepMarks {
  constructor(readonly dir: string) {}

  /** Script of a Switchboard step: one mark per execution, named by its id. */
  get switchboardScript(): string {
    return `printf '%s' "$EPOCHREALTIME" > '${this.dir}'/"$SWITCHBOARD_EXECUTION_ID"`;
  }

  /** `bash -c` arguments for a bare-pipeline job writing its mark to <dir>/<id>. */
  bareArgs(id: string): string[] {
    return ['-c', 'printf \'%s\' "$EPOCHREALTIME" > "$0"', join(this.dir, id)];
  }

  async read(id: string): Promise<number> {
    const text = (await readFile(join(this.dir, id), 'utf8')).trim();
    const value = Number(text.replace(',', '.')) * 1000;
    if (!Number.isFinite(value)) throw new Error(`unreadable mark for ${id}: ${JSON.stringify(text)}`);
    return value;
  }
}
