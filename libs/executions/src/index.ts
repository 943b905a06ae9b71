/** Executions: the state machine, enqueueing, the worker-side engine, log storage, live streaming and reconciliation. */
export * from './execution-state';
export * from './execution.entity';
export * from './execution-log.entity';
export * from './worker.entity';
export * from './execution-events';
export * from './execution-view';
export * from './execution-queue';
export * from './execution.service';
export * from './execution-log-writer';
export * from './execution-engine';
export * from './execution-live-hub';
export * from './worker-presence';
export * from './execution-reconciler';
export * from './execution-approval.entity';
export * from './execution-approval.service';
export * from './execution-notification';
