/**
 * The execution state machine: the only place that says which status may follow which.
 * Terminal states never change again.
 */
export const EXECUTION_STATUSES = [
  'pending_approval', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out', 'worker_lost', 'rejected',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'worker_lost', 'rejected']);

const TRANSITIONS: Readonly<Record<ExecutionStatus, readonly ExecutionStatus[]>> = {
  pending_approval: ['queued', 'rejected', 'canceled'],
  // queued → queued is not a transition; a lost worker's run going back to queued is a retry.
  queued: ['running', 'canceled'],
  running: ['succeeded', 'failed', 'canceled', 'timed_out', 'worker_lost', 'queued'],
  succeeded: [],
  failed: [],
  canceled: [],
  timed_out: [],
  worker_lost: [],
  rejected: [],
};

export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function canTransition(from: ExecutionStatus, to: ExecutionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The states from which `to` may be reached: used in conditional updates (`WHERE status = ANY(...)`). */
export function sourcesOf(to: ExecutionStatus): ExecutionStatus[] {
  return EXECUTION_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

/** The audit action recording a move into a status. */
export function auditActionFor(to: ExecutionStatus): string {
  switch (to) {
    case 'pending_approval': return 'execution.approval_requested';
    case 'queued': return 'execution.queued';
    case 'running': return 'execution.started';
    default: return `execution.${to}`;
  }
}
