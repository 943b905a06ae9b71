import { isMap, LineCounter, parseDocument } from 'yaml';
import type { ApprovalRule, ParameterProperty, ParameterSchema, ParameterValueSchema, ScalarValue } from '../../api/types';

/**
 * A local preview of what the server will make of a definition being edited: the run form's
 * schema (the same mapping as the server's parameter compiler) and YAML syntax errors with
 * their lines. Only a preview: the server parses and validates the definition when it is saved.
 */

export interface PreviewProblem {
  line: number | undefined;
  message: string;
}

export interface DefinitionPreview {
  name: string | undefined;
  description: string | undefined;
  schema: ParameterSchema;
  approval: ApprovalRule | null;
  problems: PreviewProblem[];
}

type Raw = Record<string, unknown>;

const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const isScalar = (value: unknown): value is ScalarValue => ['string', 'number', 'boolean'].includes(typeof value);
const numberOf = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function valueRules(raw: Raw, type: ParameterValueSchema['type']): ParameterValueSchema {
  const rules: ParameterValueSchema = { type };
  if (Array.isArray(raw.enum)) rules.enum = raw.enum.filter(isScalar);
  if (type === 'string') {
    if (textOf(raw.pattern) !== undefined) rules.pattern = raw.pattern as string;
    if (numberOf(raw.min_length) !== undefined) rules.minLength = raw.min_length as number;
    if (numberOf(raw.max_length) !== undefined) rules.maxLength = raw.max_length as number;
  } else {
    if (numberOf(raw.min) !== undefined) rules.minimum = raw.min as number;
    if (numberOf(raw.max) !== undefined) rules.maximum = raw.max as number;
  }
  return rules;
}

const VALUE_TYPES = new Set(['string', 'number', 'integer']);

function compileProperty(name: string, raw: Raw, order: number): ParameterProperty | string {
  const type = raw.type;
  const annotations: Partial<ParameterProperty> = { title: textOf(raw.label) ?? name };
  if (textOf(raw.description) !== undefined) annotations.description = raw.description as string;
  if (isScalar(raw.default) || (Array.isArray(raw.default) && raw.default.every(isScalar))) annotations.default = raw.default as ScalarValue | ScalarValue[];
  switch (type) {
    case 'string': {
      const property: ParameterProperty = { ...valueRules(raw, 'string'), ...annotations, 'x-order': order };
      if (raw.secret === true) Object.assign(property, { writeOnly: true, 'x-secret': true });
      if (raw.multiline === true) property['x-multiline'] = true;
      return property;
    }
    case 'number':
    case 'integer':
      return { ...valueRules(raw, type), ...annotations, 'x-order': order };
    case 'boolean':
      return { type: 'boolean', ...annotations, 'x-order': order };
    case 'array': {
      const items = isRecord(raw.items) ? raw.items : { type: 'string' };
      const itemType = typeof items.type === 'string' && VALUE_TYPES.has(items.type) ? (items.type as ParameterValueSchema['type']) : 'string';
      const property: ParameterProperty = { type: 'array', ...annotations, items: valueRules(items, itemType), uniqueItems: true, 'x-order': order };
      if (numberOf(raw.min_items) !== undefined) property.minItems = raw.min_items as number;
      if (numberOf(raw.max_items) !== undefined) property.maxItems = raw.max_items as number;
      return property;
    }
    default:
      return `parameters.${name}.type must be one of string, number, integer, boolean, array`;
  }
}

interface ParameterProblem {
  /** The parameter it is about; absent when it is about the whole section. */
  name?: string;
  message: string;
}

/** Compiles the `parameters` section of a definition into the run form's schema. */
export function schemaFromParameters(parameters: unknown): { schema: ParameterSchema; problems: ParameterProblem[] } {
  const schema: ParameterSchema = { type: 'object', properties: {}, required: [] };
  const problems: ParameterProblem[] = [];
  if (parameters === undefined || parameters === null) return { schema, problems };
  if (!isRecord(parameters)) return { schema, problems: [{ message: 'parameters must be a map of name → definition' }] };
  Object.entries(parameters).forEach(([name, raw], order) => {
    if (!isRecord(raw)) {
      problems.push({ name, message: `parameters.${name} must be a map such as { type: string }` });
      return;
    }
    const compiled = compileProperty(name, raw, order);
    if (typeof compiled === 'string') problems.push({ name, message: compiled });
    else {
      schema.properties[name] = compiled;
      if (raw.required === true) schema.required?.push(name);
    }
  });
  return { schema, problems };
}

function approvalOf(value: unknown): ApprovalRule | null {
  if (!isRecord(value)) return null;
  return { when: textOf(value.when) ?? null, approvers: numberOf(value.approvers) ?? 1 };
}

/** Parses YAML (or JSON, which is YAML) text into a preview; never throws. */
export function previewDefinition(source: string): DefinitionPreview {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: PreviewProblem[] = document.errors.map((error) => ({
    line: error.linePos?.[0]?.line ?? (error.pos ? lineCounter.linePos(error.pos[0]).line : undefined),
    message: error.message.split('\n')[0],
  }));
  const empty: DefinitionPreview = { name: undefined, description: undefined, schema: { type: 'object', properties: {}, required: [] }, approval: null, problems };
  if (problems.length > 0) return empty;
  if (!isMap(document.contents)) return { ...empty, problems: [{ line: 1, message: 'a definition is a map with name, steps, and optionally parameters' }] };
  let value: Raw;
  try {
    value = document.toJS({ maxAliasCount: 100 }) as Raw;
  } catch (error) {
    // e.g. an alias bomb: refused, never expanded.
    return { ...empty, problems: [{ line: 1, message: error instanceof Error ? error.message : 'the document cannot be read' }] };
  }
  const { schema, problems: parameterProblems } = schemaFromParameters(value.parameters);
  const lineOf = (path: string[]): number | undefined => {
    const node = document.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  };
  return {
    name: textOf(value.name),
    description: textOf(value.description),
    schema,
    approval: approvalOf(value.approval),
    problems: parameterProblems.map((problem) => ({ line: lineOf(problem.name ? ['parameters', problem.name] : ['parameters']), message: problem.message })),
  };
}
