export const DEFAULT_OUTPUT_LIMIT_BYTES = 10 * 1024 * 1024;

/**
 * Caps how much line text one execution may store. Share one budget between all steps of an
 * execution so the cap holds for the execution, not per step.
 */
export class OutputBudget {
  private stored = 0;
  private storedLineCount = 0;
  private dropped = 0;
  private droppedLineCount = 0;
  private isNoticePending = false;

  constructor(readonly limitBytes: number = DEFAULT_OUTPUT_LIMIT_BYTES) {
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`output limit must be a non-negative integer, got ${limitBytes}`);
    }
  }

  /** Whether a line of `bytes` may be stored; once one line is refused, every later line is too. */
  take(bytes: number): boolean {
    if (!this.isExhausted && this.stored + bytes <= this.limitBytes) {
      this.stored += bytes;
      this.storedLineCount += 1;
      return true;
    }
    if (!this.isExhausted) this.isNoticePending = true;
    this.dropped += bytes;
    this.droppedLineCount += 1;
    return false;
  }

  /** The marker line to show where output stops, exactly once, right after the cap is hit. */
  takeTruncationNotice(): string | undefined {
    if (!this.isNoticePending) return undefined;
    this.isNoticePending = false;
    return `[switchboard] output truncated: limit of ${this.limitBytes} bytes reached`;
  }

  get isExhausted(): boolean {
    return this.droppedLineCount > 0;
  }

  get storedBytes(): number {
    return this.stored;
  }

  get storedLines(): number {
    return this.storedLineCount;
  }

  get droppedBytes(): number {
    return this.dropped;
  }

  get droppedLines(): number {
    return this.droppedLineCount;
  }
}
