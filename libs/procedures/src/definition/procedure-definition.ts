/*
 * The normalized shape of a procedure definition: what `parseDefinition` returns and what is
 * stored with a version. Keys keep the snake_case authors write in YAML, so the stored JSON,
 * the API and the exported YAML are one vocabulary. Durations are seconds; defaults are filled.
 */

export type ScalarValue = string | number | boolean;

/** A value a run may supply for a parameter: a scalar, or a list of scalars for `array` parameters. */
export type ParameterValue = ScalarValue | ScalarValue[];

interface ParameterCommon {
  /** Human label for the form; the parameter name is shown when absent. */
  label?: string;
  description?: string;
  required: boolean;
}

export interface StringParameter extends ParameterCommon {
  type: 'string';
  default?: string;
  /** A select box: the value must be one of these. */
  enum?: string[];
  /** A JavaScript regular expression (compiled with the `u` flag), matched anywhere unless anchored. */
  pattern?: string;
  min_length?: number;
  max_length?: number;
  /** Never shown, logged or stored in clear; cannot have a default or an enum. */
  secret: boolean;
  /** Form hint: a text area rather than a one-line input. */
  multiline: boolean;
}

export interface NumberParameter extends ParameterCommon {
  type: 'number' | 'integer';
  default?: number;
  enum?: number[];
  min?: number;
  max?: number;
}

export interface BooleanParameter extends ParameterCommon {
  type: 'boolean';
  default?: boolean;
}

export interface StringItems {
  type: 'string';
  enum?: string[];
  pattern?: string;
  min_length?: number;
  max_length?: number;
}

export interface NumberItems {
  type: 'number' | 'integer';
  enum?: number[];
  min?: number;
  max?: number;
}

export type ArrayItems = StringItems | NumberItems;

/**
 * A list of values, always without duplicates. With `items.enum` it is a multi-select:
 * `{ type: array, items: { type: string, enum: [eu, us, ap] } }`.
 */
export interface ArrayParameter extends ParameterCommon {
  type: 'array';
  items: ArrayItems;
  default?: Array<string | number>;
  min_items?: number;
  max_items?: number;
}

export type ParameterDefinition = StringParameter | NumberParameter | BooleanParameter | ArrayParameter;
export type ParameterType = ParameterDefinition['type'];

/** Named interpreters, or an absolute path to any interpreter on the worker. */
export type StepShell = string;

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as-is when a string; JSON-encoded when structured. */
  body?: JsonValue;
  /** Accepted response statuses; any 2xx when absent. */
  expect_status?: number[];
  /** Seconds. */
  timeout?: number;
}

/** Passes the calling run's value of one of its own parameters to the called procedure. */
export interface ParameterReference {
  param: string;
}

export type CallParameterValue = ParameterValue | ParameterReference;

interface StepCommon {
  name: string;
  /** Seconds; the procedure's timeout bounds it. */
  timeout?: number;
  continue_on_error: boolean;
  /** Static environment variables; names never start with PARAM_, STEP_ or SWITCHBOARD_. */
  env: Record<string, string>;
}

export interface RunStep extends StepCommon {
  kind: 'run';
  run: string;
  shell: StepShell;
}

export interface HttpStep extends StepCommon {
  kind: 'http';
  http: HttpRequest;
}

export interface ProcedureCallStep extends StepCommon {
  kind: 'procedure';
  /** Name of the procedure to run, in the same project. */
  procedure: string;
  params: Record<string, CallParameterValue>;
}

/** `kind` is derived from which of `run`, `http` or `procedure` the author wrote (it may be given, and must then agree). */
export type StepDefinition = RunStep | HttpStep | ProcedureCallStep;
export type StepKind = StepDefinition['kind'];

export const EXECUTION_EVENTS = [
  'started',
  'succeeded',
  'failed',
  'timed_out',
  'canceled',
  'worker_lost',
  'approval_requested',
  'approval_decided',
] as const;
export type ExecutionEvent = (typeof EXECUTION_EVENTS)[number];

export interface ApprovalPolicy {
  /** Condition over parameters (see `compileCondition`); every run needs approval when absent. */
  when?: string;
  approvers: number;
  from?: { roles?: string[]; teams?: string[] };
  /** Seconds after which a pending approval lapses. */
  expires_after?: number;
}

export interface NotifyPolicy {
  on: ExecutionEvent[];
  channels: string[];
}

export interface ProcedureDefinition {
  name: string;
  description: string;
  /** In the author's order, which is also the form's order. */
  parameters: Record<string, ParameterDefinition>;
  steps: StepDefinition[];
  /** Seconds. */
  timeout: number;
  retries: number;
  /** Seconds. */
  retry_delay: number;
  /** Most runs at a time; unlimited when absent. */
  concurrency?: number;
  worker_group: string;
  approval?: ApprovalPolicy;
  notify?: NotifyPolicy;
  toil_minutes: number;
  tags: string[];
}
