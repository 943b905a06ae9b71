import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isScalar, parse, Scalar, visit } from 'yaml';
import { formatDuration } from './duration';
import type {
  ApprovalPolicy,
  ArrayItems,
  HttpRequest,
  ParameterDefinition,
  ProcedureDefinition,
  StepDefinition,
} from './procedure-definition';

type Plain = Record<string, unknown>;

const FLOW_PARAMETER_MAX_LENGTH = 100;

/**
 * Writes a definition as the YAML an author would write: canonical key order, durations as
 * `10m`/`1h30m`, scripts as block literals, settings equal to their defaults left out.
 * `parseDefinition(exportDefinition(d), 'yaml')` deep-equals `d`.
 */
export function exportDefinition(definition: ProcedureDefinition): string {
  const plain = toPlain(definition);
  const document = new Document(plain, { version: '1.2' });
  styleForReading(document);
  definition.steps.forEach((_step, index) => {
    const run = document.getIn(['steps', index, 'run'], true);
    if (isScalar(run)) run.type = Scalar.BLOCK_LITERAL;
  });
  const text = render(document);
  if (isDeepStrictEqual(parse(text, { version: '1.2', schema: 'core' }), plain)) return text;
  // Block scalars cannot hold every string (yaml writes " \n" as a block that reads back as "\n"),
  // so when the check above fails, multi-line strings fall back to double quotes, which hold anything.
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && node.value.includes('\n')) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return render(document);
}

function render(document: Document): string {
  // lineWidth 0: never fold long lines, so scripts and URLs read exactly as stored.
  return document.toString({ lineWidth: 0, indent: 2, flowCollectionPadding: true });
}

/** Short lists of scalars and small parameter maps in flow style, as people write them. */
function styleForReading(document: Document): void {
  visit(document, {
    Seq(_key, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  const parameters = document.get('parameters', true);
  if (!isMap(parameters)) return;
  for (const { value: parameter } of parameters.items) {
    if (!isMap(parameter)) continue;
    const items = parameter.get('items', true);
    if (isMap(items)) items.flow = true;
    const isShort = JSON.stringify(parameter.toJSON()).length <= FLOW_PARAMETER_MAX_LENGTH;
    const hasMultilineText = parameter.items.some(
      ({ value }) => isScalar(value) && typeof value.value === 'string' && value.value.includes('\n'),
    );
    parameter.flow = isShort && !hasMultilineText;
  }
}

function toPlain(definition: ProcedureDefinition): Plain {
  return {
    name: definition.name,
    ...(definition.description === '' ? {} : { description: definition.description }),
    ...(Object.keys(definition.parameters).length === 0
      ? {}
      : { parameters: mapValues(definition.parameters, parameterToPlain) }),
    steps: definition.steps.map((step) => stepToPlain(step)),
    timeout: formatDuration(definition.timeout),
    retries: definition.retries,
    retry_delay: formatDuration(definition.retry_delay),
    ...(definition.concurrency === undefined ? {} : { concurrency: definition.concurrency }),
    worker_group: definition.worker_group,
    ...(definition.approval === undefined ? {} : { approval: approvalToPlain(definition.approval) }),
    ...(definition.notify === undefined ? {} : { notify: { on: [...definition.notify.on], channels: [...definition.notify.channels] } }),
    toil_minutes: definition.toil_minutes,
    ...(definition.tags.length === 0 ? {} : { tags: [...definition.tags] }),
  };
}

function parameterToPlain(parameter: ParameterDefinition): Plain {
  const plain: Plain = { type: parameter.type };
  if (parameter.label !== undefined) plain.label = parameter.label;
  if (parameter.description !== undefined) plain.description = parameter.description;
  if (parameter.required) plain.required = true;
  if (parameter.default !== undefined) plain.default = structuredClone(parameter.default);
  switch (parameter.type) {
    case 'string':
      Object.assign(plain, valueRulesToPlain(parameter));
      if (parameter.secret) plain.secret = true;
      if (parameter.multiline) plain.multiline = true;
      break;
    case 'number':
    case 'integer':
      Object.assign(plain, valueRulesToPlain(parameter));
      break;
    case 'array':
      plain.items = { type: parameter.items.type, ...valueRulesToPlain(parameter.items) };
      if (parameter.min_items !== undefined) plain.min_items = parameter.min_items;
      if (parameter.max_items !== undefined) plain.max_items = parameter.max_items;
      break;
    case 'boolean':
      break;
  }
  return plain;
}

function valueRulesToPlain(rules: ArrayItems | Extract<ParameterDefinition, { type: 'string' | 'number' | 'integer' }>): Plain {
  const plain: Plain = {};
  if (rules.enum !== undefined) plain.enum = [...rules.enum];
  if (rules.type === 'string') {
    if (rules.pattern !== undefined) plain.pattern = rules.pattern;
    if (rules.min_length !== undefined) plain.min_length = rules.min_length;
    if (rules.max_length !== undefined) plain.max_length = rules.max_length;
  } else {
    if (rules.min !== undefined) plain.min = rules.min;
    if (rules.max !== undefined) plain.max = rules.max;
  }
  return plain;
}

function stepToPlain(step: StepDefinition): Plain {
  const plain: Plain = { name: step.name };
  switch (step.kind) {
    case 'run':
      plain.shell = step.shell;
      plain.run = step.run;
      break;
    case 'http':
      plain.http = httpToPlain(step.http);
      break;
    case 'procedure':
      plain.procedure = step.procedure;
      if (Object.keys(step.params).length > 0) plain.params = structuredClone(step.params);
      break;
  }
  if (step.timeout !== undefined) plain.timeout = formatDuration(step.timeout);
  if (step.continue_on_error) plain.continue_on_error = true;
  if (Object.keys(step.env).length > 0) plain.env = { ...step.env };
  return plain;
}

function httpToPlain(request: HttpRequest): Plain {
  return {
    method: request.method,
    url: request.url,
    ...(request.headers === undefined ? {} : { headers: { ...request.headers } }),
    ...(request.body === undefined ? {} : { body: structuredClone(request.body) }),
    ...(request.expect_status === undefined ? {} : { expect_status: [...request.expect_status] }),
    ...(request.timeout === undefined ? {} : { timeout: formatDuration(request.timeout) }),
  };
}

function approvalToPlain(approval: ApprovalPolicy): Plain {
  return {
    ...(approval.when === undefined ? {} : { when: approval.when }),
    approvers: approval.approvers,
    ...(approval.from === undefined ? {} : { from: structuredClone(approval.from) }),
    ...(approval.expires_after === undefined ? {} : { expires_after: formatDuration(approval.expires_after) }),
  };
}

function mapValues<T>(record: Readonly<Record<string, T>>, convert: (value: T) => Plain): Plain {
  const plain: Plain = {};
  for (const [key, value] of Object.entries(record)) plain[key] = convert(value);
  return plain;
}
