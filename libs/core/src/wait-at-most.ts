/**
 * Waits for `promise` to settle, or for `ms` to pass, whichever comes first: true when it settled
 * in time. Never rejects (a rejection counts as settled), and leaves no timer behind when the
 * promise wins, so it is cheap on a hot path.
 */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
