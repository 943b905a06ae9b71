import { z } from 'zod';
import { boundedTextSchema, uniqueListSchema } from './definition-fields.schema';
import type { ParameterDefinition, ScalarValue } from './procedure-definition';

/*
 * Parameters are what a runner types into the form, so every rule here protects a run:
 * a default or an enum entry that the parameter itself would refuse is an author's mistake
 * that would otherwise only surface when someone tries to run the procedure.
 */

export const PATTERN_MAX_LENGTH = 500;
export const ENUM_MAX_ENTRIES = 1000;
export const PARAMETERS_MAX_COUNT = 100;

const labelSchema = boundedTextSchema(100);
const descriptionSchema = z.string().max(2000);
const countSchema = z.int().min(0).max(1_000_000);
const patternSchema = z.string().min(1).max(PATTERN_MAX_LENGTH);

interface ValueRules {
  type: 'string' | 'number' | 'integer';
  enum?: readonly ScalarValue[];
  pattern?: string;
  min_length?: number;
  max_length?: number;
  min?: number;
  max?: number;
}

type Issue = { path: PropertyKey[]; message: string };

/** Compiles like ajv does (`u` flag), so a pattern accepted here behaves the same when runs are validated. */
function compilePattern(pattern: string): RegExp | string {
  try {
    return new RegExp(pattern, 'u');
  } catch (error) {
    return error instanceof Error ? error.message : 'invalid regular expression';
  }
}

/**
 * Describes why a value breaks a parameter's rules, or returns undefined.
 * Lengths count code points, as JSON Schema (and ajv) do, not UTF-16 units.
 */
function valueProblem(rules: ValueRules, value: unknown): string | undefined {
  if (rules.type === 'string') {
    if (typeof value !== 'string') return 'must be a string';
    const length = [...value].length;
    if (rules.min_length !== undefined && length < rules.min_length) return `must be at least ${rules.min_length} characters`;
    if (rules.max_length !== undefined && length > rules.max_length) return `must be at most ${rules.max_length} characters`;
    if (rules.pattern !== undefined) {
      const pattern = compilePattern(rules.pattern);
      if (pattern instanceof RegExp && !pattern.test(value)) return `must match the pattern ${rules.pattern}`;
    }
  } else {
    if (typeof value !== 'number') return 'must be a number';
    if (rules.type === 'integer' && !Number.isInteger(value)) return 'must be a whole number';
    if (rules.min !== undefined && value < rules.min) return `must be at least ${rules.min}`;
    if (rules.max !== undefined && value > rules.max) return `must be at most ${rules.max}`;
  }
  if (rules.enum !== undefined && !rules.enum.includes(value as ScalarValue)) {
    return `must be one of: ${rules.enum.map((entry) => JSON.stringify(entry)).join(', ')}`;
  }
  return undefined;
}

/** Checks that the rules are coherent and that every enum entry obeys the other rules. */
function ruleIssues(rules: ValueRules): Issue[] {
  const issues: Issue[] = [];
  if (rules.pattern !== undefined) {
    const compiled = compilePattern(rules.pattern);
    if (typeof compiled === 'string') issues.push({ path: ['pattern'], message: `is not a valid regular expression: ${compiled}` });
  }
  if (rules.min_length !== undefined && rules.max_length !== undefined && rules.min_length > rules.max_length) {
    issues.push({ path: ['max_length'], message: `must not be less than min_length (${rules.min_length})` });
  }
  if (rules.min !== undefined && rules.max !== undefined && rules.min > rules.max) {
    issues.push({ path: ['max'], message: `must not be less than min (${rules.min})` });
  }
  const withoutEnum: ValueRules = { ...rules, enum: undefined };
  rules.enum?.forEach((entry, index) => {
    const problem = valueProblem(withoutEnum, entry);
    if (problem !== undefined) issues.push({ path: ['enum', index], message: `${JSON.stringify(entry)} ${problem}` });
  });
  return issues;
}

function report(ctx: z.RefinementCtx, issues: readonly Issue[], prefix: PropertyKey[] = []): void {
  for (const issue of issues) {
    ctx.addIssue({ code: 'custom', path: [...prefix, ...issue.path], message: issue.message });
  }
}

const commonFields = {
  label: labelSchema.optional(),
  description: descriptionSchema.optional(),
  required: z.boolean().default(false),
};

const stringParameterSchema = z
  .strictObject({
    type: z.literal('string'),
    ...commonFields,
    default: z.string().optional(),
    enum: uniqueListSchema(z.string(), { min: 1, max: ENUM_MAX_ENTRIES }).optional(),
    pattern: patternSchema.optional(),
    min_length: countSchema.optional(),
    max_length: countSchema.optional(),
    secret: z.boolean().default(false),
    multiline: z.boolean().default(false),
  })
  .superRefine((parameter, ctx) => {
    report(ctx, ruleIssues(parameter));
    if (parameter.secret && parameter.default !== undefined) {
      // A default would be stored in clear in every version of the definition and shown in the form.
      report(ctx, [{ path: ['default'], message: 'a secret parameter cannot have a default' }]);
      return;
    }
    if (parameter.secret && parameter.enum !== undefined) {
      report(ctx, [{ path: ['enum'], message: 'a secret parameter cannot have an enum: its choices would not be secret' }]);
    }
    if (parameter.default !== undefined) {
      const problem = valueProblem(parameter, parameter.default);
      if (problem !== undefined) report(ctx, [{ path: ['default'], message: problem }]);
    }
  });

function numberParameterSchema<T extends 'number' | 'integer'>(type: T) {
  return z
    .strictObject({
      type: z.literal(type),
      ...commonFields,
      default: z.number().optional(),
      enum: uniqueListSchema(z.number(), { min: 1, max: ENUM_MAX_ENTRIES }).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
    })
    .superRefine((parameter, ctx) => {
      report(ctx, ruleIssues(parameter));
      if (parameter.default !== undefined) {
        const problem = valueProblem(parameter, parameter.default);
        if (problem !== undefined) report(ctx, [{ path: ['default'], message: problem }]);
      }
    });
}

const booleanParameterSchema = z.strictObject({
  type: z.literal('boolean'),
  ...commonFields,
  default: z.boolean().optional(),
});

const stringItemsSchema = z
  .strictObject({
    type: z.literal('string'),
    enum: uniqueListSchema(z.string(), { min: 1, max: ENUM_MAX_ENTRIES }).optional(),
    pattern: patternSchema.optional(),
    min_length: countSchema.optional(),
    max_length: countSchema.optional(),
  })
  .superRefine((items, ctx) => report(ctx, ruleIssues(items)));

function numberItemsSchema<T extends 'number' | 'integer'>(type: T) {
  return z
    .strictObject({
      type: z.literal(type),
      enum: uniqueListSchema(z.number(), { min: 1, max: ENUM_MAX_ENTRIES }).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
    })
    .superRefine((items, ctx) => report(ctx, ruleIssues(items)));
}

// Booleans are not offered as items: a duplicate-free list of booleans is not a useful parameter.
const arrayItemsSchema = z.discriminatedUnion('type', [stringItemsSchema, numberItemsSchema('number'), numberItemsSchema('integer')]);

const arrayParameterSchema = z
  .strictObject({
    type: z.literal('array'),
    ...commonFields,
    items: arrayItemsSchema.default(() => ({ type: 'string' as const })),
    default: z.array(z.union([z.string(), z.number()], { error: 'must be a string or a number' })).optional(),
    min_items: countSchema.optional(),
    max_items: countSchema.optional(),
  })
  .superRefine((parameter, ctx) => {
    const { items, min_items: minItems, max_items: maxItems } = parameter;
    if (minItems !== undefined && maxItems !== undefined && minItems > maxItems) {
      report(ctx, [{ path: ['max_items'], message: `must not be less than min_items (${minItems})` }]);
    }
    if (items.enum !== undefined && minItems !== undefined && minItems > items.enum.length) {
      report(ctx, [{ path: ['min_items'], message: `cannot exceed the ${items.enum.length} choices in items.enum` }]);
    }
    if (parameter.default === undefined) return;
    const issues: Issue[] = [];
    const seen = new Set<ScalarValue>();
    parameter.default.forEach((entry, index) => {
      const problem = valueProblem(items, entry);
      if (problem !== undefined) issues.push({ path: ['default', index], message: problem });
      if (seen.has(entry)) issues.push({ path: ['default', index], message: `${JSON.stringify(entry)} is listed twice` });
      seen.add(entry);
    });
    if (minItems !== undefined && parameter.default.length < minItems) {
      issues.push({ path: ['default'], message: `must have at least ${minItems} items` });
    }
    if (maxItems !== undefined && parameter.default.length > maxItems) {
      issues.push({ path: ['default'], message: `must have at most ${maxItems} items` });
    }
    report(ctx, issues);
  });

const parameterVariants = {
  string: stringParameterSchema,
  number: numberParameterSchema('number'),
  integer: numberParameterSchema('integer'),
  boolean: booleanParameterSchema,
  array: arrayParameterSchema,
} as const;

/**
 * One parameter. `type` is required and selects which other fields apply.
 * Multi-select is `type: array` with `items.enum`.
 */
export const parameterDefinitionSchema: z.ZodType<ParameterDefinition> = z.discriminatedUnion('type', [
  parameterVariants.string,
  parameterVariants.number,
  parameterVariants.integer,
  parameterVariants.boolean,
  parameterVariants.array,
]);

export const PARAMETER_TYPES = Object.keys(parameterVariants) as Array<keyof typeof parameterVariants>;

/**
 * Explains an unknown field that belongs to another parameter type (`min` on a string, say),
 * which is a more useful message than "unknown field". Undefined when the field fits no type.
 */
export function describeMisplacedParameterField(type: unknown, field: string): string | undefined {
  if (typeof type !== 'string' || !Object.hasOwn(parameterVariants, type)) return undefined;
  if (type === 'array' && field === 'enum') return 'for a multi-select, put enum under items: { items: { type: string, enum: [...] } }';
  const owners = PARAMETER_TYPES.filter((candidate) => Object.hasOwn(parameterVariants[candidate].shape, field));
  if (owners.length === 0) return undefined;
  return `applies to ${owners.join(' and ')} parameters, not ${type}`;
}
