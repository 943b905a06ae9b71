import { Badge, Button, Group, Switch, Text } from '@mantine/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { type CSSProperties, memo, type ReactNode, type UIEvent, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { LogLine } from '../../api/types';
import { type AnsiSegment, ansiSegments } from './ansi-segments';
import type { StreamState } from './use-execution-log';

const ROW_HEIGHT = 20;

function segmentStyle(segment: AnsiSegment): CSSProperties | undefined {
  if (Object.keys(segment).length === 1) return undefined;
  return {
    color: segment.color,
    backgroundColor: segment.background,
    fontWeight: segment.bold ? 700 : undefined,
    opacity: segment.dim ? 0.7 : undefined,
    fontStyle: segment.italic ? 'italic' : undefined,
    textDecoration: [segment.underline ? 'underline' : '', segment.strikethrough ? 'line-through' : ''].join(' ').trim() || undefined,
  };
}

/** One line of output, coloured from its ANSI codes; rendered as text, never as markup. */
const LogRow = memo(function LogRow({ line, showStep }: { line: LogLine; showStep: boolean }): ReactNode {
  return (
    <>
      <span className="log-seq" aria-hidden="true">{line.seq}</span>
      <span className="log-step" title={line.step ?? undefined}>{showStep ? line.step ?? '' : ''}</span>
      <span className={`log-text log-${line.stream}`} data-stream={line.stream}>
        {line.stream === 'stderr' && <span className="visually-hidden">stderr: </span>}
        {ansiSegments(line.text).map((segment, index) => (
          <span key={index} style={segmentStyle(segment)}>{segment.text}</span>
        ))}
      </span>
    </>
  );
});

interface Props {
  lines: LogLine[];
  count: number;
  state: StreamState;
  height?: string;
  toolbar?: ReactNode;
}

const STATE_LABEL: Record<StreamState, [string, string]> = {
  connecting: ['connecting…', 'gray'],
  live: ['live', 'green'],
  reconnecting: ['reconnecting…', 'yellow'],
  ended: ['complete', 'gray'],
  failed: ['disconnected', 'red'],
};

/**
 * The live output: virtualized (only the visible rows exist in the page, so 100k+ lines stay
 * fast), following new lines until the reader scrolls up, with a button to follow again.
 */
export function LogViewer({ lines, count, state, height = 'max(320px, calc(100vh - 230px))', toolbar }: Props): ReactNode {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [wrap, setWrap] = useState(false);
  const [seenCount, setSeenCount] = useState(0);
  const lastTop = useRef(0);

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });

  useEffect(() => {
    // Wrapped rows have their own heights: measure them again when the mode changes.
    virtualizer.measure();
  }, [wrap, virtualizer]);

  useLayoutEffect(() => {
    if (follow && count > 0) {
      virtualizer.scrollToIndex(count - 1, { align: 'end' });
      setSeenCount(count);
    }
  }, [count, follow, virtualizer]);

  const onScroll = useCallback((event: UIEvent<HTMLDivElement>) => {
    const element = event.currentTarget;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 1.5;
    if (element.scrollTop < lastTop.current - 1 && !atBottom) setFollow(false);
    else if (atBottom) setFollow(true);
    lastTop.current = element.scrollTop;
  }, []);

  const resume = (): void => {
    setFollow(true);
    if (count > 0) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  };

  const [label, color] = STATE_LABEL[state];
  const unseen = follow ? 0 : count - seenCount;
  const items = virtualizer.getVirtualItems();
  return (
    <div className="log-panel">
      <Group justify="space-between" gap="xs" px="sm" py={6} className="log-toolbar">
        <Group gap="xs">
          <Badge variant="dot" color={color} data-testid="stream-state">{label}</Badge>
          <Text size="xs" c="dimmed" data-testid="line-count">{count.toLocaleString()} lines</Text>
          <Group gap={6} visibleFrom="sm" aria-label="Legend">
            <span className="log-legend log-stdout">stdout</span>
            <span className="log-legend log-stderr">stderr</span>
            <span className="log-legend log-system">system</span>
          </Group>
        </Group>
        <Group gap="xs">
          <Switch size="xs" label="Wrap" checked={wrap} onChange={(event) => setWrap(event.currentTarget.checked)} />
          {!follow && (
            <Button size="compact-xs" variant="filled" onClick={resume} aria-label="Follow output">
              Follow{unseen > 0 ? ` (${unseen.toLocaleString()} new)` : ''} ↓
            </Button>
          )}
          {toolbar}
        </Group>
      </Group>
      <div
        ref={scrollRef}
        className={`log-scroll${wrap ? ' log-wrap' : ''}`}
        style={{ height }}
        onScroll={onScroll}
        role="log"
        aria-live="off"
        aria-label="Execution output"
        tabIndex={0}
        data-following={follow}
      >
        {count === 0 && <div className="log-empty">{state === 'ended' ? 'No output.' : 'Waiting for output…'}</div>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: '100%' }}>
          {items.map((item) => {
            const line = lines[item.index];
            if (!line) return null;
            const showStep = item.index === 0 || lines[item.index - 1]?.step !== line.step;
            return (
              <div
                key={line.seq}
                data-index={item.index}
                ref={wrap ? virtualizer.measureElement : undefined}
                className="log-row"
                style={{ transform: `translateY(${item.start}px)`, height: wrap ? undefined : ROW_HEIGHT }}
              >
                <LogRow line={line} showStep={showStep} />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
