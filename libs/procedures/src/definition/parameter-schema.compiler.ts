import type { ParameterDefinition, ScalarValue } from './procedure-definition';

export const PARAMETER_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** Annotations the web form reads beside the standard keywords; ajv is told they are known. */
export const PARAMETER_SCHEMA_ANNOTATIONS = ['x-secret', 'x-multiline', 'x-order'] as const;

interface ValueSchema {
  type: 'string' | 'number' | 'integer' | 'boolean';
  enum?: ScalarValue[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

export interface ParameterPropertySchema {
  type: ParameterDefinition['type'];
  title: string;
  description?: string;
  default?: ScalarValue | ScalarValue[];
  enum?: ScalarValue[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: ValueSchema;
  uniqueItems?: true;
  minItems?: number;
  maxItems?: number;
  /** Standard JSON Schema hint that the value is sent but never read back. */
  writeOnly?: true;
  'x-secret'?: true;
  'x-multiline'?: true;
  /** Position in the definition, since JSON object order is not guaranteed to survive every client. */
  'x-order': number;
}

export interface ParameterJsonSchema {
  $schema: typeof PARAMETER_SCHEMA_DIALECT;
  type: 'object';
  properties: Record<string, ParameterPropertySchema>;
  required: string[];
  additionalProperties: false;
}

/**
 * Compiles a definition's parameters to the JSON Schema (draft 2020-12) that both draws the
 * run form and validates run input. Multi-select is an array whose `items` has an `enum`.
 */
export function compileParameterSchema(parameters: Readonly<Record<string, ParameterDefinition>>): ParameterJsonSchema {
  const properties: Record<string, ParameterPropertySchema> = {};
  const required: string[] = [];
  Object.entries(parameters).forEach(([name, parameter], order) => {
    properties[name] = compileProperty(name, parameter, order);
    if (parameter.required) required.push(name);
  });
  return { $schema: PARAMETER_SCHEMA_DIALECT, type: 'object', properties, required, additionalProperties: false };
}

function compileProperty(name: string, parameter: ParameterDefinition, order: number): ParameterPropertySchema {
  const annotations = {
    title: parameter.label ?? name,
    ...(parameter.description === undefined ? {} : { description: parameter.description }),
    ...(parameter.default === undefined ? {} : { default: cloneValue(parameter.default) }),
  };
  switch (parameter.type) {
    case 'string':
      return {
        ...compileValue(parameter),
        ...annotations,
        ...(parameter.secret ? { writeOnly: true, 'x-secret': true } : {}),
        ...(parameter.multiline ? { 'x-multiline': true } : {}),
        'x-order': order,
      };
    case 'number':
    case 'integer':
      return { ...compileValue(parameter), ...annotations, 'x-order': order };
    case 'boolean':
      return { type: 'boolean', ...annotations, 'x-order': order };
    case 'array':
      return {
        type: 'array',
        ...annotations,
        items: compileValue(parameter.items),
        // Lists of targets (hosts, regions) with a repeat are always a mistake, and a multi-select has no repeats.
        uniqueItems: true,
        ...(parameter.min_items === undefined ? {} : { minItems: parameter.min_items }),
        ...(parameter.max_items === undefined ? {} : { maxItems: parameter.max_items }),
        'x-order': order,
      };
  }
}

interface ValueRules {
  type: ValueSchema['type'];
  enum?: readonly ScalarValue[];
  pattern?: string;
  min_length?: number;
  max_length?: number;
  min?: number;
  max?: number;
}

function compileValue(rules: ValueRules): ValueSchema {
  return {
    type: rules.type,
    ...(rules.enum === undefined ? {} : { enum: [...rules.enum] }),
    ...(rules.pattern === undefined ? {} : { pattern: rules.pattern }),
    ...(rules.min_length === undefined ? {} : { minLength: rules.min_length }),
    ...(rules.max_length === undefined ? {} : { maxLength: rules.max_length }),
    ...(rules.min === undefined ? {} : { minimum: rules.min }),
    ...(rules.max === undefined ? {} : { maximum: rules.max }),
  };
}

function cloneValue(value: ScalarValue | ScalarValue[]): ScalarValue | ScalarValue[] {
  return Array.isArray(value) ? [...value] : value;
}
