/**
 * Preloaded (`-r`) into an api process by bench/access.ts. The first SIGUSR2 starts V8's CPU
 * profiler, the second writes the profile to BENCH_ACCESS_PROFILE_FILE. `--cpu-prof` cannot do
 * this: it writes only at a normal exit, and Nest ends the process by re-raising SIGTERM.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const target = process.env.BENCH_ACCESS_PROFILE_FILE;
if (target) {
  const session = new Session();
  session.connect();
  let profiling = false;
  const fail = (error: Error | null): boolean => {
    if (error) process.stderr.write(`bench profile hook: ${error.message}\n`);
    return error !== null;
  };
  process.on('SIGUSR2', () => {
    if (!profiling) {
      profiling = true;
      session.post('Profiler.enable', (enableError) => {
        if (fail(enableError)) return;
        session.post('Profiler.setSamplingInterval', { interval: 250 }, (intervalError) => {
          if (fail(intervalError)) return;
          session.post('Profiler.start', (startError) => {
            if (!fail(startError)) writeFileSync(`${target}.started`, '');
          });
        });
      });
      return;
    }
    profiling = false;
    session.post('Profiler.stop', (stopError, result) => {
      if (fail(stopError)) return;
      writeFileSync(`${target}.tmp`, JSON.stringify(result.profile));
      renameSync(`${target}.tmp`, target);
    });
  });
}
