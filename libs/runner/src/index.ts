// Worker-side execution of procedure steps (shell and http) as supervised, isolated child processes and requests.
export { describeAbortReason } from './abort-reason';
export { toEnvironmentName } from './environment-name';
export { ExecutionWorkspace, type ExecutionWorkspaceOptions } from './execution-workspace';
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  HTTP_STEP_METHODS,
  MAX_BODY_OUTPUT_BYTES,
  runHttpStep,
  type HttpStepOptions,
} from './http-step.runner';
export { InvalidStepError } from './invalid-step.error';
export { DEFAULT_MAX_LINE_BYTES, LineSplitter, type LinePiece, type LineSplitterOptions } from './line-splitter';
export { DEFAULT_OUTPUT_LIMIT_BYTES, OutputBudget } from './output-budget';
export { formatParameterValue } from './parameter-text';
export { ProcessGroup } from './process-group';
export {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
  runShellStep,
  SHELL_STEP_INTERPRETERS,
  type ShellStepOptions,
} from './shell-step.runner';
export { StepLauncher } from './step-launcher';
export { localStepHost } from './local-step-host';
export type { OutputsFileRead, StepFile, StepHost, StepOutputStream, StepProcessHandle, StepSpawnRequest } from './step-host';
export { buildStepEnvironment, DEFAULT_STEP_PATH, type StepEnvironmentOptions } from './step-environment';
export { StepLog, type StepLogOptions } from './step-log';
export {
  DEFAULT_STEP_OUTPUT_LIMITS,
  parseStepOutputs,
  stepOutputsToEnvironment,
  StepOutputsError,
  type StepOutputLimits,
} from './step-outputs';
export type { OnStepLine, StepLine, StepOutcome, StepResult, StepStream } from './step-result';
export { renderJsonTemplate, renderTemplate, TemplateError, type TemplateContext } from './step-template';
