import { describe, expect, it } from 'vitest';
import { canTransition, EXECUTION_STATUSES, isTerminal, sourcesOf } from './execution-state';

describe('execution state machine', () => {
  it('never leaves a terminal state', () => {
    for (const from of EXECUTION_STATUSES.filter(isTerminal)) {
      for (const to of EXECUTION_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('runs only what was queued', () => {
    expect(sourcesOf('running')).toEqual(['queued']);
  });

  it('cancels from pending approval, queued or running', () => {
    expect(sourcesOf('canceled').sort()).toEqual(['pending_approval', 'queued', 'running']);
  });

  it('rejects only pending approvals', () => {
    expect(sourcesOf('rejected')).toEqual(['pending_approval']);
  });

  it('lets only a running execution end as worker_lost or go back to queued for a retry', () => {
    expect(sourcesOf('worker_lost')).toEqual(['running']);
    expect(sourcesOf('queued')).toEqual(['pending_approval', 'running']);
  });
});
