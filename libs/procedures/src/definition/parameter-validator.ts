import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { compileParameterSchema, PARAMETER_SCHEMA_ANNOTATIONS } from './parameter-schema.compiler';
import type { ParameterDefinition, ParameterValue, ProcedureDefinition } from './procedure-definition';

export interface ParameterError {
  /** The parameter's name (`''` when the input as a whole is not an object). */
  parameter: string;
  message: string;
}

export type ParameterValidationResult =
  | { ok: true; params: Record<string, ParameterValue> }
  | { ok: false; errors: ParameterError[] };

export interface ValidateParametersOptions {
  /**
   * Identifies the definition for the compiled-validator cache; use something immutable such as
   * the version id. Without it, the validator is cached on the definition object itself.
   */
  cacheKey?: string;
}

type DefinitionParameters = Pick<ProcedureDefinition, 'parameters'>;

const DEFAULT_CACHE_CAPACITY = 500;
const AJV_ROTATION = 200;
const MAX_LISTED_CHOICES = 20;
const MAX_ECHOED_NAME_LENGTH = 100;

/**
 * Validates run input against a definition's parameters with ajv, compiling each definition's
 * schema once. Messages never contain a submitted value, so a secret typed into the wrong field or
 * failing its pattern cannot leak into API responses, logs or audit events.
 */
export class ParameterValidator {
  private ajv = createAjv();
  private compilesOnCurrentAjv = 0;
  private readonly byKey = new Map<string, ValidateFunction>();
  private readonly byDefinition = new WeakMap<DefinitionParameters, ValidateFunction>();

  constructor(private readonly capacity: number = DEFAULT_CACHE_CAPACITY) {}

  validate(definition: DefinitionParameters, input: unknown, options: ValidateParametersOptions = {}): ParameterValidationResult {
    if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
      return { ok: false, errors: [{ parameter: '', message: 'parameters must be an object of parameter names to values' }] };
    }
    const candidate = withDefaults(definition.parameters, input ?? {});
    const validateFunction = this.compiled(definition, options.cacheKey);
    if (validateFunction(candidate)) {
      return { ok: true, params: pickKnown(definition.parameters, candidate) };
    }
    return { ok: false, errors: describeErrors(definition.parameters, validateFunction.errors ?? []) };
  }

  private compiled(definition: DefinitionParameters, cacheKey: string | undefined): ValidateFunction {
    if (cacheKey === undefined) {
      let validateFunction = this.byDefinition.get(definition);
      if (validateFunction === undefined) {
        validateFunction = this.compile(definition);
        this.byDefinition.set(definition, validateFunction);
      }
      return validateFunction;
    }
    const cached = this.byKey.get(cacheKey);
    if (cached !== undefined) {
      // Re-inserting marks the entry most recently used; Map iteration order then yields the least recent first.
      this.byKey.delete(cacheKey);
      this.byKey.set(cacheKey, cached);
      return cached;
    }
    const validateFunction = this.compile(definition);
    this.byKey.set(cacheKey, validateFunction);
    while (this.byKey.size > this.capacity) {
      const oldest = this.byKey.keys().next();
      if (oldest.done === true) break;
      this.byKey.delete(oldest.value);
    }
    return validateFunction;
  }

  private compile(definition: DefinitionParameters): ValidateFunction {
    // An ajv instance keeps a few KB of generated code for every schema it ever compiled, even after
    // removeSchema, so a long-lived one grows without bound. A fresh instance costs ~10 ms, so it is
    // replaced every AJV_ROTATION compiles; the old one is freed once the caches drop its validators.
    if (this.compilesOnCurrentAjv >= AJV_ROTATION) {
      this.ajv = createAjv();
      this.compilesOnCurrentAjv = 0;
    }
    this.compilesOnCurrentAjv += 1;
    const schema = compileParameterSchema(definition.parameters);
    const validateFunction = this.ajv.compile(schema);
    this.ajv.removeSchema(schema);
    return validateFunction;
  }

  /** Number of definitions held in the keyed cache (for tests and metrics). */
  get cachedCount(): number {
    return this.byKey.size;
  }
}

function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes: false, useDefaults: false, messages: false, logger: false });
  ajv.addVocabulary([...PARAMETER_SCHEMA_ANNOTATIONS]);
  return ajv;
}

const sharedValidator = new ParameterValidator();

/**
 * Checks a run's parameters: returns them with defaults applied, or one clear error per offending
 * parameter (missing, unknown, wrong type, not an allowed value, pattern, bounds). Types are never
 * coerced: `'5'` for an integer parameter is an error.
 */
export function validateParameters(
  definition: DefinitionParameters,
  input: unknown,
  options: ValidateParametersOptions = {},
): ParameterValidationResult {
  return sharedValidator.validate(definition, input, options);
}

function withDefaults(parameters: Readonly<Record<string, ParameterDefinition>>, input: object): Record<string, unknown> {
  // A prototype-less copy: an own `__proto__` key from JSON input stays an ordinary (unknown) key.
  const candidate = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    const value: unknown = (input as Record<string, unknown>)[key];
    if (value !== undefined) candidate[key] = value;
  }
  for (const [name, parameter] of Object.entries(parameters)) {
    if (candidate[name] === undefined && parameter.default !== undefined) {
      candidate[name] = Array.isArray(parameter.default) ? [...parameter.default] : parameter.default;
    }
  }
  return candidate;
}

function pickKnown(parameters: Readonly<Record<string, ParameterDefinition>>, candidate: Record<string, unknown>): Record<string, ParameterValue> {
  const params: Record<string, ParameterValue> = {};
  for (const name of Object.keys(parameters)) {
    const value = candidate[name] as ParameterValue | undefined;
    if (value !== undefined) params[name] = Array.isArray(value) ? [...value] : value;
  }
  return params;
}

interface Located {
  parameter: string;
  priority: number;
  message: string;
}

// When one parameter breaks several rules, the most basic one is the useful one to report.
const PRIORITY: Readonly<Record<string, number>> = { required: 0, additionalProperties: 0, type: 1, enum: 2 };

function describeErrors(parameters: Readonly<Record<string, ParameterDefinition>>, errors: readonly ErrorObject[]): ParameterError[] {
  const chosen = new Map<string, Located>();
  for (const error of errors) {
    const located = locate(error);
    const current = chosen.get(located.parameter);
    if (current === undefined || located.priority < current.priority) chosen.set(located.parameter, located);
  }
  const order = Object.keys(parameters);
  const rank = (name: string): number => {
    const index = order.indexOf(name);
    return index === -1 ? order.length : index;
  };
  return [...chosen.values()]
    .sort((a, b) => rank(a.parameter) - rank(b.parameter))
    .map(({ parameter, message }) => ({ parameter, message }));
}

function locate(error: ErrorObject): Located {
  const priority = PRIORITY[error.keyword] ?? 3;
  if (error.keyword === 'required') {
    return { parameter: String(error.params.missingProperty), priority, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const name = String(error.params.additionalProperty);
    const shown = name.length > MAX_ECHOED_NAME_LENGTH ? `${name.slice(0, MAX_ECHOED_NAME_LENGTH)}…` : name;
    return { parameter: shown, priority, message: 'is not a parameter of this procedure' };
  }
  const [name = '', itemIndex] = error.instancePath.split('/').slice(1).map(unescapePointer);
  const subject = itemIndex === undefined ? '' : `item ${Number(itemIndex) + 1} `;
  return { parameter: name, priority, message: subject + ruleMessage(error) };
}

function ruleMessage(error: ErrorObject): string {
  const limit = Number(error.params.limit);
  switch (error.keyword) {
    case 'type':
      return `must be ${typePhrase(String(error.params.type))}`;
    case 'enum': {
      const allowed: unknown = error.params.allowedValues;
      return `must be one of: ${listChoices(Array.isArray(allowed) ? allowed : [])}`;
    }
    case 'pattern':
      return `must match the pattern ${String(error.params.pattern)}`;
    case 'minLength':
      return `must be at least ${limit} characters`;
    case 'maxLength':
      return `must be at most ${limit} characters`;
    case 'minimum':
      return `must be at least ${limit}`;
    case 'maximum':
      return `must be at most ${limit}`;
    case 'minItems':
      return `must have at least ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
    case 'maxItems':
      return `must have at most ${limit} ${limit === 1 ? 'entry' : 'entries'}`;
    case 'uniqueItems':
      return 'must not list the same value twice';
    default:
      return 'is not valid';
  }
}

function typePhrase(type: string): string {
  switch (type) {
    case 'string':
      return 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    default:
      return type;
  }
}

function listChoices(choices: readonly unknown[]): string {
  const shown = choices.slice(0, MAX_LISTED_CHOICES).map((choice) => JSON.stringify(choice));
  const more = choices.length > MAX_LISTED_CHOICES ? ` and ${choices.length - MAX_LISTED_CHOICES} more` : '';
  return shown.join(', ') + more;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
