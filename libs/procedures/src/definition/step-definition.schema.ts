import { z } from 'zod';
import { durationSchema, parameterNameSchema, slugSchema, uniqueListSchema } from './definition-fields.schema';
import type { HttpMethod, StepDefinition } from './procedure-definition';

export const STEP_MAX_TIMEOUT_SECONDS = 86_400;
export const NAMED_SHELLS = ['bash', 'sh', 'python3', 'node'] as const;
export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

// Absolute path without spaces or `..`: the runner executes it directly with the script file as argument.
const ABSOLUTE_INTERPRETER = /^(?:\/[A-Za-z0-9._+-]+)+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
// These prefixes carry what Switchboard itself hands a step (parameters, earlier steps' outputs,
// its own files); a static variable with such a name would shadow or spoof them.
const RESERVED_ENV_PREFIXES = ['PARAM_', 'STEP_', 'SWITCHBOARD_'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
const CONTROL_LINE_BREAK = /[\r\n\0]/;

const envNameSchema = z
  .string()
  .regex(ENV_NAME, { error: 'must be an environment variable name: letters, digits and underscores, not starting with a digit' })
  .refine((name) => !RESERVED_ENV_PREFIXES.some((prefix) => name.toUpperCase().startsWith(prefix)), {
    error: `must not start with ${RESERVED_ENV_PREFIXES.join(', ')}: those names are set by Switchboard`,
  });

// Only strings: YAML would silently turn `VERSION: 1.10` into 1.1, so authors must quote.
const envValueSchema = z
  .string({ error: 'must be a string: quote numbers and booleans, e.g. "8080"' })
  .refine((value) => !value.includes('\0'), { error: 'must not contain a NUL character' });

const statusCodeSchema = z.int().min(100).max(599);

const httpRequestSchema = z
  .strictObject({
    method: z
      .string()
      .transform((method) => method.toUpperCase())
      .pipe(z.enum(HTTP_METHODS as [HttpMethod, ...HttpMethod[]])),
    url: z
      .string()
      .max(2048)
      .refine(isHttpUrl, { error: 'must be an absolute http:// or https:// URL' }),
    headers: z
      .record(
        z.string().regex(HEADER_NAME, { error: 'must be a valid HTTP header name' }),
        z.string().refine((value) => !CONTROL_LINE_BREAK.test(value), { error: 'must not contain line breaks' }),
      )
      .optional(),
    body: z.json().optional(),
    expect_status: z
      .union([statusCodeSchema, uniqueListSchema(statusCodeSchema, { min: 1, max: 50 })], {
        error: 'must be an HTTP status code (100–599) or a list of them',
      })
      .transform((status) => (Array.isArray(status) ? status : [status]))
      .optional(),
    timeout: durationSchema({ min: 1, max: STEP_MAX_TIMEOUT_SECONDS }).optional(),
  })
  .superRefine((request, ctx) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && request.body !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${request.method} request cannot have a body` });
    }
  });

function isHttpUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);
const callParameterValueSchema = z.union(
  [scalarSchema, z.array(scalarSchema).max(1000), z.strictObject({ param: parameterNameSchema })],
  { error: 'must be a string, number, true/false, a list of them, or { param: <name of a parameter of this procedure> }' },
);

const STEP_KINDS = ['run', 'http', 'procedure'] as const;

/**
 * One step. Exactly one of `run` (a script, with `shell`), `http` (a request) or `procedure`
 * (a call of another procedure, with `params`) says what the step does.
 */
export const stepDefinitionSchema: z.ZodType<StepDefinition> = z
  .strictObject({
    // Derived from run/http/procedure; accepted when it agrees, so a normalized definition parses to itself.
    kind: z.enum(STEP_KINDS).optional(),
    name: slugSchema,
    run: z.string().optional(),
    shell: z.string().optional(),
    http: httpRequestSchema.optional(),
    procedure: slugSchema.optional(),
    params: z.record(parameterNameSchema, callParameterValueSchema).optional(),
    timeout: durationSchema({ min: 1, max: STEP_MAX_TIMEOUT_SECONDS }).optional(),
    continue_on_error: z.boolean().default(false),
    env: z
      .record(envNameSchema, envValueSchema)
      .default(() => ({}))
      .refine((env) => Object.keys(env).length <= 100, { error: 'must have at most 100 variables' }),
  })
  .superRefine((step, ctx) => {
    const kinds = STEP_KINDS.filter((kind) => step[kind] !== undefined);
    if (kinds.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a step needs one of run, http or procedure' });
    } else if (kinds.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [kinds[1]],
        message: `a step has exactly one of run, http or procedure, and this one has ${kinds.join(' and ')}`,
      });
    } else if (step.kind !== undefined && step.kind !== kinds[0]) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: `says ${step.kind} but the step has ${kinds[0]}` });
    }
    if (step.shell !== undefined && step.run === undefined) {
      ctx.addIssue({ code: 'custom', path: ['shell'], message: 'applies only to run steps' });
    }
    if (step.params !== undefined && step.procedure === undefined) {
      ctx.addIssue({ code: 'custom', path: ['params'], message: 'applies only to procedure steps' });
    }
    if (step.run !== undefined && step.run.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['run'], message: 'must not be empty' });
    }
    if (step.shell !== undefined && !isKnownShell(step.shell)) {
      ctx.addIssue({
        code: 'custom',
        path: ['shell'],
        message: `must be ${NAMED_SHELLS.join(', ')} or an absolute path to an interpreter, not ${JSON.stringify(step.shell.slice(0, 100))}`,
      });
    }
  })
  .transform((step, ctx): StepDefinition => {
    const common = {
      name: step.name,
      ...(step.timeout === undefined ? {} : { timeout: step.timeout }),
      continue_on_error: step.continue_on_error,
      env: step.env,
    };
    if (step.run !== undefined) return { kind: 'run', ...common, run: step.run, shell: step.shell ?? 'bash' };
    if (step.http !== undefined) return { kind: 'http', ...common, http: step.http };
    if (step.procedure !== undefined) return { kind: 'procedure', ...common, procedure: step.procedure, params: step.params ?? {} };
    // Unreachable: the refinement above already refused a step without a kind.
    ctx.addIssue({ code: 'custom', message: 'a step needs one of run, http or procedure' });
    return z.NEVER;
  });

function isKnownShell(shell: string): boolean {
  return (NAMED_SHELLS as readonly string[]).includes(shell) || (ABSOLUTE_INTERPRETER.test(shell) && !shell.split('/').includes('..'));
}
