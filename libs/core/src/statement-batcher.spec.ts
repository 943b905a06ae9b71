import { describe, expect, it } from 'vitest';
import { StatementBatcher } from './statement-batcher';

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/** A batcher whose statements wait for the test to open them; records every batch it was given. */
function recordingBatcher(options: { maxInFlight: number; maxBatch: number; fails?: (item: number) => boolean; after?: (items: number[], results: string[]) => Promise<void> }) {
  const batches: number[][] = [];
  const gates: Gate[] = [];
  const batcher = new StatementBatcher<number, string>({
    ...options,
    run: async (items) => {
      batches.push(items);
      const g = gate();
      gates.push(g);
      await g.promise;
      if (items.some((i) => options.fails?.(i))) throw new Error(`bad item in ${items.join(',')}`);
      return items.map((i) => `done ${i}`);
    },
  });
  const openAll = async (): Promise<void> => {
    for (let round = 0; round < 20; round += 1) {
      gates.splice(0).forEach((g) => g.open());
      await new Promise((r) => setImmediate(r));
    }
  };
  return { batcher, batches, gates, openAll };
}

describe('StatementBatcher', () => {
  it('writes an item at once while the process is idle: no wait for company', async () => {
    const { batcher, batches, openAll } = recordingBatcher({ maxInFlight: 1, maxBatch: 10 });
    const result = batcher.submit(1);
    expect(batches).toEqual([[1]]);
    await openAll();
    await expect(result).resolves.toBe('done 1');
  });

  it('groups the items that arrive while every batch is busy into the next one, each with its own result', async () => {
    const { batcher, batches, gates, openAll } = recordingBatcher({ maxInFlight: 2, maxBatch: 10 });
    const results = [1, 2, 3, 4, 5].map((i) => batcher.submit(i));
    expect(batches).toEqual([[1], [2]]);
    expect(batcher.load).toEqual({ waiting: 3, inFlight: 2 });
    gates[0].open();
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1], [2], [3, 4, 5]]);
    await openAll();
    await expect(Promise.all(results)).resolves.toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
    expect(batcher.load).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('never puts more than maxBatch items in one statement', async () => {
    const { batcher, batches, openAll } = recordingBatcher({ maxInFlight: 1, maxBatch: 2 });
    const results = [1, 2, 3, 4, 5, 6].map((i) => batcher.submit(i));
    await openAll();
    await Promise.all(results);
    expect(batches).toEqual([[1], [2, 3], [4, 5], [6]]);
  });

  it('fails only the bad item of a failed batch: the others are written again one by one', async () => {
    const { batcher, batches, openAll } = recordingBatcher({ maxInFlight: 1, maxBatch: 10, fails: (i) => i === 3 });
    const results = [1, 2, 3, 4].map((i) => batcher.submit(i).catch((error: Error) => error.message));
    await openAll();
    await expect(Promise.all(results)).resolves.toEqual(['done 1', 'done 2', 'bad item in 3', 'done 4']);
    expect(batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('rejects an item whose statement returned no result for it, rather than resolving it with nothing', async () => {
    const batcher = new StatementBatcher<number, number>({ maxInFlight: 1, maxBatch: 10, run: async () => [] });
    await expect(batcher.submit(1)).rejects.toThrow('a batch of 1 returned 0 results');
  });

  it('answers the callers before `after`, but keeps the slot until it is done: items meanwhile still go together', async () => {
    const followUp = gate();
    const followed: number[][] = [];
    const batcher = new StatementBatcher<number, string>({
      maxInFlight: 1, maxBatch: 10,
      run: async (items) => items.map((i) => `done ${i}`),
      after: async (items, results) => {
        followed.push(items);
        expect(results).toEqual(items.map((i) => `done ${i}`));
        if (items[0] === 1) await followUp.promise;
      },
    });
    await expect(batcher.submit(1)).resolves.toBe('done 1');
    expect(followed).toEqual([[1]]);
    expect(batcher.load).toEqual({ waiting: 0, inFlight: 1 });
    const later = [2, 3].map((i) => batcher.submit(i));
    expect(batcher.load).toEqual({ waiting: 2, inFlight: 1 });
    followUp.open();
    await expect(Promise.all(later)).resolves.toEqual(['done 2', 'done 3']);
    expect(followed).toEqual([[1], [2, 3]]);
  });

  it('runs `after` for the items written alone after a failed batch, and a failing `after` fails no caller', async () => {
    const followed: number[][] = [];
    const { batcher, openAll } = recordingBatcher({
      maxInFlight: 1, maxBatch: 10, fails: (i) => i === 3,
      after: async (items) => {
        followed.push(items);
        throw new Error('the follow-up failed');
      },
    });
    const results = [1, 2, 3, 4].map((i) => batcher.submit(i).catch((error: Error) => error.message));
    await openAll();
    await expect(Promise.all(results)).resolves.toEqual(['done 1', 'done 2', 'bad item in 3', 'done 4']);
    expect(followed.sort()).toEqual([[1], [2], [4]]);
    expect(batcher.load).toEqual({ waiting: 0, inFlight: 0 });
  });

  it('refuses a configuration that could never write', () => {
    expect(() => new StatementBatcher({ maxInFlight: 0, maxBatch: 1, run: async () => [] })).toThrow(/at least 1/);
  });
});
