import { LineSplitter } from './line-splitter';
import { OutputBudget } from './output-budget';
import type { OnStepLine, StepLine } from './step-result';

export interface StepLogOptions {
  onLine: OnStepLine;
  budget: OutputBudget;
  maxLineBytes?: number;
  /** Called once if `onLine` throws; later lines are discarded. */
  onCallbackError?: (error: unknown) => void;
}

/**
 * Where a running step's output goes: raw stdout/stderr bytes become lines, pass the output
 * budget, and reach the caller one by one, so no step output is ever held whole in memory.
 */
export class StepLog {
  private readonly stdout: LineSplitter;
  private readonly stderr: LineSplitter;
  private failure: { error: unknown } | undefined;

  constructor(private readonly options: StepLogOptions) {
    const splitterOptions = { maxLineBytes: options.maxLineBytes };
    this.stdout = new LineSplitter((piece) => this.store({ stream: 'stdout', ...piece }), splitterOptions);
    this.stderr = new LineSplitter((piece) => this.store({ stream: 'stderr', ...piece }), splitterOptions);
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    (stream === 'stdout' ? this.stdout : this.stderr).push(chunk);
  }

  /** Runner's own messages bypass the budget: they are few and explain what happened to the step. */
  system(text: string): void {
    this.deliver({ stream: 'system', text, continued: false });
  }

  end(): void {
    this.stdout.end();
    this.stderr.end();
  }

  /** The error `onLine` threw, if it did. */
  get callbackFailure(): { error: unknown } | undefined {
    return this.failure;
  }

  private store(line: StepLine): void {
    if (this.options.budget.take(Buffer.byteLength(line.text))) {
      this.deliver(line);
      return;
    }
    const notice = this.options.budget.takeTruncationNotice();
    if (notice !== undefined) this.system(notice);
  }

  private deliver(line: StepLine): void {
    if (this.failure) return;
    try {
      this.options.onLine(line);
    } catch (error: unknown) {
      // A throw here would surface inside a stream event handler and crash the worker,
      // leaving the step's processes behind; hand it to the runner instead.
      this.failure = { error };
      this.options.onCallbackError?.(error);
    }
  }
}
