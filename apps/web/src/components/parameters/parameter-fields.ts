import type { ParameterProperty, ParameterSchema, ParameterValueSchema, ScalarValue } from '../../api/types';

/**
 * The run form's model, derived from a procedure's parameterSchema (JSON Schema 2020-12 with
 * x-secret, x-multiline and x-order). These checks mirror the server's, so a runner learns of a
 * mistake as they type; the server validates again and its 422 messages are shown on the fields.
 */

export type FieldKind = 'select' | 'multiselect' | 'tags' | 'number' | 'checkbox' | 'secret' | 'textarea' | 'text';

export interface ParameterField {
  name: string;
  label: string;
  property: ParameterProperty;
  required: boolean;
  kind: FieldKind;
}

/** A field's value while being edited: text for inputs and selects, lists for multi-selects. */
export type FieldValue = string | number | boolean | string[] | null;
export type FormValues = Record<string, FieldValue>;

export function kindOf(property: ParameterProperty): FieldKind {
  switch (property.type) {
    case 'boolean':
      return 'checkbox';
    case 'array':
      return property.items?.enum ? 'multiselect' : 'tags';
    case 'number':
    case 'integer':
      return property.enum ? 'select' : 'number';
    default:
      if (property.enum) return 'select';
      if (property['x-secret']) return 'secret';
      return property['x-multiline'] ? 'textarea' : 'text';
  }
}

export function orderedFields(schema: ParameterSchema | null | undefined): ParameterField[] {
  if (!schema?.properties) return [];
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties)
    .map(([name, property], index) => ({ name, property, index }))
    .sort((a, b) => (a.property['x-order'] ?? a.index) - (b.property['x-order'] ?? b.index))
    .map(({ name, property }) => ({ name, label: property.title ?? name, property, required: required.has(name), kind: kindOf(property) }));
}

export function initialValue(field: ParameterField): FieldValue {
  const { property, kind } = field;
  const fallback = property.default;
  switch (kind) {
    case 'checkbox':
      return typeof fallback === 'boolean' ? fallback : false;
    case 'multiselect':
    case 'tags':
      return Array.isArray(fallback) ? fallback.map(String) : [];
    case 'number':
      return typeof fallback === 'number' ? fallback : '';
    case 'select':
      return fallback === undefined || Array.isArray(fallback) ? null : String(fallback);
    default:
      return typeof fallback === 'string' ? fallback : '';
  }
}

export function initialValues(fields: ParameterField[]): FormValues {
  return Object.fromEntries(fields.map((field) => [field.name, initialValue(field)]));
}

/** Whether the runner left the field empty (an empty optional field is not sent at all). */
export function isEmpty(value: FieldValue): boolean {
  return value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

function codePoints(text: string): number {
  return [...text].length;
}

function compilePattern(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return null;
  }
}

function toNumber(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value.trim() === '') return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/** Checks one scalar (a whole value, or one item of a list) against its rules. */
export function scalarProblem(rules: ParameterValueSchema, value: ScalarValue): string | undefined {
  if (rules.type === 'string') {
    if (typeof value !== 'string') return 'must be text';
    const length = codePoints(value);
    if (rules.minLength !== undefined && length < rules.minLength) return `must be at least ${rules.minLength} characters`;
    if (rules.maxLength !== undefined && length > rules.maxLength) return `must be at most ${rules.maxLength} characters`;
    if (rules.pattern !== undefined) {
      const pattern = compilePattern(rules.pattern);
      if (pattern && !pattern.test(value)) return `must match the pattern ${rules.pattern}`;
    }
  } else if (rules.type === 'number' || rules.type === 'integer') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
    if (rules.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
    if (rules.minimum !== undefined && value < rules.minimum) return `must be at least ${rules.minimum}`;
    if (rules.maximum !== undefined && value > rules.maximum) return `must be at most ${rules.maximum}`;
  }
  if (rules.enum && !rules.enum.includes(value)) return `must be one of: ${rules.enum.join(', ')}`;
  return undefined;
}

/** Converts a text value of a select or tag to the item's type (numbers stay numbers). */
function typed(rules: ParameterValueSchema | undefined, text: string): ScalarValue {
  if (rules && (rules.type === 'number' || rules.type === 'integer')) {
    const number = toNumber(text);
    return number ?? text;
  }
  return text;
}

/** The value sent to the API for a field, or undefined when it is left out. */
export function paramValue(field: ParameterField, value: FieldValue): unknown {
  const { property, kind } = field;
  if (kind === 'checkbox') return Boolean(value);
  if (isEmpty(value)) return undefined;
  switch (kind) {
    case 'multiselect':
    case 'tags':
      return (value as string[]).map((entry) => typed(property.items, entry));
    case 'number':
      return toNumber(value as string | number) ?? value;
    case 'select':
      return typed(property as ParameterValueSchema, String(value));
    default:
      return value;
  }
}

/** The first thing wrong with a field's value, in words a runner understands; undefined when fine. */
export function fieldProblem(field: ParameterField, value: FieldValue): string | undefined {
  const { property, kind, required } = field;
  if (kind === 'checkbox') return undefined;
  if (isEmpty(value)) return required ? 'is required' : undefined;
  const sent = paramValue(field, value);
  if (kind === 'multiselect' || kind === 'tags') {
    const list = sent as ScalarValue[];
    if (property.minItems !== undefined && list.length < property.minItems) return `choose at least ${property.minItems}`;
    if (property.maxItems !== undefined && list.length > property.maxItems) return `choose at most ${property.maxItems}`;
    if (new Set(list).size !== list.length) return 'lists a value twice';
    for (const item of list) {
      const problem = property.items ? scalarProblem(property.items, item) : undefined;
      if (problem) return `${JSON.stringify(item)} ${problem}`;
    }
    return undefined;
  }
  if (kind === 'number' && typeof sent !== 'number') return 'must be a number';
  return scalarProblem(property as ParameterValueSchema, sent as ScalarValue);
}

export function formProblems(fields: ParameterField[], values: FormValues): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const problem = fieldProblem(field, values[field.name] ?? null);
    if (problem) problems[field.name] = problem;
  }
  return problems;
}

/** The `params` object of a run request: typed values, empty optional fields left out. */
export function toParams(fields: ParameterField[], values: FormValues): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const field of fields) {
    const value = paramValue(field, values[field.name] ?? null);
    if (value !== undefined) params[field.name] = value;
  }
  return params;
}

/** A short hint of the rules (bounds, lengths), shown under the help text. */
export function ruleHint(field: ParameterField): string | undefined {
  const { property } = field;
  const parts: string[] = [];
  if (property.minimum !== undefined && property.maximum !== undefined) parts.push(`${property.minimum}–${property.maximum}`);
  else if (property.minimum !== undefined) parts.push(`at least ${property.minimum}`);
  else if (property.maximum !== undefined) parts.push(`at most ${property.maximum}`);
  if (property.type === 'integer' && field.kind === 'number') parts.push('whole number');
  if (property.pattern) parts.push(`format ${property.pattern}`);
  if (property.minItems !== undefined) parts.push(`at least ${property.minItems}`);
  if (property.maxItems !== undefined) parts.push(`at most ${property.maxItems}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}
