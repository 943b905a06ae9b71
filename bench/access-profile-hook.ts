/**
 * Preloaded (`-r`) into an api process by bench/access.ts, which talks to it over the IPC channel
 * it opened: "start" starts V8's CPU profiler, "stop" writes the profile to the path it names and
 * answers "written". Not `--cpu-prof`: that writes only at a normal exit, and Nest ends the process
 * by re-raising SIGTERM. Not a signal: Nest's shutdown hooks listen to SIGUSR2 and SIGHUP too.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

interface ProfileCommand {
  benchProfile: 'start' | 'stop';
  file?: string;
}

if (process.send) {
  const session = new Session();
  session.connect();
  const reply = (message: Record<string, unknown>): void => {
    process.send?.(message);
  };
  process.on('message', (message: ProfileCommand) => {
    if (message.benchProfile === 'start') {
      session.post('Profiler.enable', () => {
        session.post('Profiler.setSamplingInterval', { interval: 250 }, () => {
          session.post('Profiler.start', (error) => reply({ benchProfile: 'started', error: error?.message ?? null }));
        });
      });
    } else if (message.benchProfile === 'stop' && message.file) {
      const file = message.file;
      session.post('Profiler.stop', (error, result) => {
        if (!error) writeFileSync(file, JSON.stringify(result.profile));
        reply({ benchProfile: 'written', error: error?.message ?? null });
      });
    }
  });
  // The channel must not keep the api alive when it shuts down.
  process.channel?.unref();
}
