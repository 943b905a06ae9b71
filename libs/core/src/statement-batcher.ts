export interface StatementBatcherOptions<I, R> {
  /**
   * Writes a batch in one statement (one round trip, one commit) and returns one result per item,
   * in order. A batch of one is the common case when the process is not busy.
   */
  run: (items: I[]) => Promise<R[]>;
  /** Batches written at the same time. Items that arrive while all are busy wait and go together. */
  maxInFlight: number;
  /** The most items in one batch. */
  maxBatch: number;
  /**
   * What follows a batch's statement. Its callers have their results already, but the batch keeps
   * its slot until this is done, so items arriving meanwhile still wait and go together in the next
   * statement. Its failure fails no caller (the statement is written).
   */
  after?: (items: I[], results: R[]) => Promise<void>;
}

interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for one kind of write: an item goes at once while fewer than `maxInFlight` batches
 * are being written, so an idle process adds no wait; under load the items that arrive meanwhile
 * are written together by the next batch, one statement and one commit for all of them. Every item
 * still commits atomically with what it carries (its change and audit event are in the same
 * statement), and fails alone: a batch that fails is retried one item at a time, so one bad item
 * rejects only its own caller.
 */
export class StatementBatcher<I, R> {
  private readonly waiting: Array<Pending<I, R>> = [];
  private inFlight = 0;

  constructor(private readonly options: StatementBatcherOptions<I, R>) {
    if (options.maxInFlight < 1 || options.maxBatch < 1) throw new Error('StatementBatcher needs maxInFlight and maxBatch of at least 1');
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Items waiting for a batch, and batches being written (for tests and metrics). */
  get load(): { waiting: number; inFlight: number } {
    return { waiting: this.waiting.length, inFlight: this.inFlight };
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private async write(batch: Array<Pending<I, R>>): Promise<void> {
    try {
      const items = batch.map((p) => p.item);
      const results = await this.options.run(items);
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((p, i) => p.resolve(results[i]));
      await this.follow(items, results);
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // Nothing of a failed statement was written: each item again on its own, so only the bad one fails.
      await Promise.all(batch.map(async (p) => {
        let result: R;
        try {
          [result] = await this.options.run([p.item]);
        } catch (itemError) {
          p.reject(itemError);
          return;
        }
        p.resolve(result);
        await this.follow([p.item], [result]);
      }));
    }
  }

  private async follow(items: I[], results: R[]): Promise<void> {
    await this.options.after?.(items, results).catch(() => undefined);
  }
}
