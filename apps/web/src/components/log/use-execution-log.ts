import { useEffect, useRef, useState } from 'react';
import { api, apiUrl } from '../../api/client';
import type { LogLine, Page } from '../../api/types';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface ExecutionLog {
  /** Every line received so far, in sequence order. Mutated in place; `count` tells when it grew. */
  lines: LogLine[];
  count: number;
  state: StreamState;
}

interface Handlers {
  onStatus?(status: string): void;
  onEnd?(status: string): void;
}

const MAX_MANUAL_RETRIES = 8;

const BACKLOG_PAGE = 5000;

/**
 * Follows an execution's output. What is already stored is read in pages first (one JSON
 * document per 5,000 lines is far cheaper than one event per line), then server-sent events
 * continue from the last line read. EventSource sends the session cookie and, when a connection
 * drops, reconnects by itself with Last-Event-ID, so the server replays only what was missed;
 * sequence numbers drop anything seen twice. Lines are pushed into one array and React is told
 * at most once per animation frame, so 100k lines stay smooth.
 */
export function useExecutionLog(executionId: string, handlers: Handlers = {}): ExecutionLog {
  const linesRef = useRef<LogLine[]>([]);
  const [count, setCount] = useState(0);
  const [state, setState] = useState<StreamState>('connecting');
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    linesRef.current = [];
    setCount(0);
    setState('connecting');
    let lastSeq = 0;
    let frame = 0;
    let source: EventSource | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let retries = 0;
    let finished = false;

    const flush = (): void => {
      frame = 0;
      setCount(linesRef.current.length);
    };
    const schedule = (): void => {
      if (frame === 0) frame = requestAnimationFrame(flush);
    };

    const push = (line: LogLine): void => {
      if (line.seq <= lastSeq) return;
      lastSeq = line.seq;
      linesRef.current.push(line);
    };

    const readBacklog = async (): Promise<void> => {
      try {
        for (;;) {
          const page = await api.get<Page<LogLine>>(`/executions/${executionId}/logs`, { after: lastSeq, limit: BACKLOG_PAGE });
          if (finished) return;
          for (const line of page.items) push(line);
          schedule();
          if (!page.nextCursor || page.items.length === 0) break;
        }
      } catch {
        // The stream below replays whatever this did not get (and a 401 has already been handled).
      }
      if (!finished) connect();
    };

    const connect = (): void => {
      // A fresh connection (after the browser gave up) resumes where we are with ?after=.
      source = new EventSource(apiUrl(`/executions/${executionId}/logs/stream`, lastSeq > 0 ? { after: lastSeq } : {}));
      source.onopen = () => {
        retries = 0;
        setState('live');
      };
      source.addEventListener('line', (event) => {
        push(JSON.parse((event as MessageEvent<string>).data) as LogLine);
        schedule();
      });
      source.addEventListener('status', (event) => {
        const { status } = JSON.parse((event as MessageEvent<string>).data) as { status: string };
        handlersRef.current.onStatus?.(status);
      });
      source.addEventListener('end', (event) => {
        const { status } = JSON.parse((event as MessageEvent<string>).data) as { status: string };
        finished = true;
        source?.close();
        flush();
        setState('ended');
        handlersRef.current.onEnd?.(status);
      });
      source.onerror = () => {
        if (finished) return;
        if (source?.readyState === EventSource.CONNECTING) {
          setState('reconnecting');
          return;
        }
        // The browser stopped retrying (an error status, e.g. the session ended). Ask the api
        // who we are: a 401 takes the user to sign-in; otherwise try again a few times.
        source?.close();
        setState('reconnecting');
        void api.get('/me').then(
          () => {
            if (finished) return;
            if (retries >= MAX_MANUAL_RETRIES) {
              setState('failed');
              return;
            }
            retries += 1;
            retryTimer = setTimeout(connect, Math.min(500 * 2 ** retries, 10_000));
          },
          () => setState('failed'),
        );
      };
    };
    void readBacklog();

    return () => {
      finished = true;
      source?.close();
      if (frame !== 0) cancelAnimationFrame(frame);
      if (retryTimer) clearTimeout(retryTimer);
    };
  }, [executionId]);

  return { lines: linesRef.current, count, state };
}
