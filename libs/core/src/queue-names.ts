/** Every BullMQ queue Switchboard uses is named here, so api and worker agree. */
export const QUEUE_PREFIX = 'switchboard';

export function executionQueueName(workerGroup: string): string {
  return `executions-${workerGroup}`;
}

export const NOTIFICATIONS_QUEUE = 'notifications';
export const SCHEDULES_QUEUE = 'schedules';

/** Redis pub/sub channel carrying live log lines and status changes of one execution. */
export function executionChannel(executionId: string): string {
  return `${QUEUE_PREFIX}:execution:${executionId}`;
}

/** Redis pub/sub channel telling every api process to drop cached abilities. */
export const ACCESS_INVALIDATION_CHANNEL = `${QUEUE_PREFIX}:access:invalidate`;
/** Redis pub/sub channel asking the worker running an execution to cancel it. */
export const CANCEL_CHANNEL = `${QUEUE_PREFIX}:cancel`;
