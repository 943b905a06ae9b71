import type { ExecutionEntity, ExecutionStepRecord } from './execution.entity';
import type { ExecutionStatus } from './execution-state';

export interface ExecutionView {
  id: string;
  procedureId: string;
  procedureName?: string;
  projectId: string;
  version: number;
  status: ExecutionStatus;
  statusReason: string | null;
  params: Record<string, unknown>;
  trigger: string;
  triggeredBy: { id: string | null; name: string };
  rerunOf: string | null;
  workerGroup: string;
  attempt: number;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  steps: ExecutionStepRecord[];
  outputs: Record<string, Record<string, string>>;
  logLines: number;
}

/** The API's shape of an execution. Secret parameters are already "***" in the stored params. */
export function toExecutionView(execution: ExecutionEntity, options: { hideParams?: boolean; procedureName?: string } = {}): ExecutionView {
  return {
    id: execution.id,
    procedureId: execution.procedureId,
    procedureName: options.procedureName,
    projectId: execution.projectId,
    version: execution.version,
    status: execution.status,
    statusReason: execution.statusReason,
    params: options.hideParams ? {} : execution.params,
    trigger: execution.trigger,
    triggeredBy: { id: execution.triggeredBy, name: execution.triggeredByName },
    rerunOf: execution.rerunOf,
    workerGroup: execution.workerGroup,
    attempt: execution.attempt,
    queuedAt: execution.queuedAt.toISOString(),
    startedAt: execution.startedAt?.toISOString() ?? null,
    finishedAt: execution.finishedAt?.toISOString() ?? null,
    durationMs: execution.startedAt && execution.finishedAt ? execution.finishedAt.getTime() - execution.startedAt.getTime() : null,
    steps: execution.steps,
    outputs: execution.outputs,
    logLines: execution.logSeq,
  };
}
