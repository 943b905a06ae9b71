/**
 * Pairs "execution X ended" events with whoever waits for X, in either order: an end may arrive
 * before the trigger's response does.
 */
export class EndWaiters {
  private readonly ended = new Map<string, string>();
  private readonly waiting = new Map<string, (status: string) => void>();

  settle(id: string, status: string): void {
    const resolve = this.waiting.get(id);
    if (resolve) {
      this.waiting.delete(id);
      resolve(status);
    } else {
      this.ended.set(id, status);
    }
  }

  waitFor(id: string, timeoutMs = 30_000): Promise<string> {
    const status = this.ended.get(id);
    if (status !== undefined) {
      this.ended.delete(id);
      return Promise.resolve(status);
    }
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${id} did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }
}
