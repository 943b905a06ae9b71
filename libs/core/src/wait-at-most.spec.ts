import { describe, expect, it } from 'vitest';
import { waitAtMost } from './wait-at-most';

describe('waitAtMost', () => {
  it('is true when the promise settles in time, fulfilled or rejected', async () => {
    await expect(waitAtMost(Promise.resolve('x'), 1_000)).resolves.toBe(true);
    await expect(waitAtMost(Promise.reject(new Error('no')), 1_000)).resolves.toBe(true);
  });

  it('is false once the time is over while the promise is still pending', async () => {
    await expect(waitAtMost(new Promise(() => undefined), 5)).resolves.toBe(false);
  });
});
