import { z } from 'zod';
import { compileCondition } from './condition';
import { DefinitionError } from './definition-error';
import { boundedTextSchema, durationSchema, parameterNameSchema, slugSchema, uniqueListSchema } from './definition-fields.schema';
import { PARAMETERS_MAX_COUNT, parameterDefinitionSchema } from './parameter-definition.schema';
import { EXECUTION_EVENTS, type ProcedureDefinition } from './procedure-definition';
import { STEP_MAX_TIMEOUT_SECONDS, stepDefinitionSchema } from './step-definition.schema';

export const DEFINITION_DEFAULTS = {
  description: '',
  timeout: 3_600,
  retries: 0,
  retry_delay: 5,
  worker_group: 'default',
  toil_minutes: 0,
  approvers: 1,
} as const;

export const STEPS_MAX_COUNT = 100;

const approvalSchema = z.strictObject({
  when: z.string().trim().min(1).optional(),
  approvers: z.int().min(1).max(10).default(DEFINITION_DEFAULTS.approvers),
  from: z
    .strictObject({
      roles: uniqueListSchema(boundedTextSchema(100), { min: 1, max: 50 }).optional(),
      teams: uniqueListSchema(boundedTextSchema(100), { min: 1, max: 50 }).optional(),
    })
    .refine((from) => from.roles !== undefined || from.teams !== undefined, { error: 'must name roles, teams or both' })
    .optional(),
  expires_after: durationSchema({ min: 60, max: 30 * 86_400 }).optional(),
});

const notifySchema = z.strictObject({
  on: uniqueListSchema(z.enum(EXECUTION_EVENTS), { min: 1, max: EXECUTION_EVENTS.length }),
  channels: uniqueListSchema(boundedTextSchema(100), { min: 1, max: 20 }),
});

/**
 * A whole procedure definition (ARCHITECTURE.md §2). Parsing yields the normalized
 * {@link ProcedureDefinition}: durations in seconds, defaults filled, each step's `kind` set.
 * Unknown keys are errors everywhere, so a typo never silently disables a setting.
 */
export const procedureDefinitionSchema: z.ZodType<ProcedureDefinition> = z
  .strictObject({
    name: slugSchema,
    description: z.string().max(10_000).default(DEFINITION_DEFAULTS.description),
    parameters: z
      .record(parameterNameSchema, parameterDefinitionSchema)
      .default(() => ({}))
      .refine((parameters) => Object.keys(parameters).length <= PARAMETERS_MAX_COUNT, {
        error: `must have at most ${PARAMETERS_MAX_COUNT} parameters`,
      }),
    steps: z.array(stepDefinitionSchema).min(1).max(STEPS_MAX_COUNT),
    timeout: durationSchema({ min: 1, max: STEP_MAX_TIMEOUT_SECONDS }).default(DEFINITION_DEFAULTS.timeout),
    retries: z.int().min(0).max(10).default(DEFINITION_DEFAULTS.retries),
    retry_delay: durationSchema({ min: 0, max: STEP_MAX_TIMEOUT_SECONDS }).default(DEFINITION_DEFAULTS.retry_delay),
    concurrency: z.int().min(1).max(1_000_000).optional(),
    worker_group: slugSchema.default(DEFINITION_DEFAULTS.worker_group),
    approval: approvalSchema.optional(),
    notify: notifySchema.optional(),
    toil_minutes: z.int().min(0).max(100_000).default(DEFINITION_DEFAULTS.toil_minutes),
    tags: uniqueListSchema(boundedTextSchema(50), { max: 50 }).default(() => []),
  })
  .superRefine(checkAcrossFields, {
    // A step with any issue keeps its raw, untransformed shape (no `kind`), which these checks must not
    // read; zod would otherwise run them, since refinement issues do not abort the parse.
    when: (payload) => payload.issues.every((issue) => issue.continue === true && issue.path?.[0] !== 'steps'),
  });

/** Rules that relate fields to each other; they run once every field is valid on its own. */
function checkAcrossFields(definition: ProcedureDefinition, ctx: z.RefinementCtx<ProcedureDefinition>): void {
  const parameterNames = Object.keys(definition.parameters);
  const firstIndexByName = new Map<string, number>();
  definition.steps.forEach((step, index) => {
    const earlier = firstIndexByName.get(step.name);
    if (earlier === undefined) {
      firstIndexByName.set(step.name, index);
    } else {
      ctx.addIssue({ code: 'custom', path: ['steps', index, 'name'], message: `"${step.name}" is already the name of steps[${earlier}]` });
    }
    if (step.timeout !== undefined && step.timeout > definition.timeout) {
      ctx.addIssue({ code: 'custom', path: ['steps', index, 'timeout'], message: "must not exceed the procedure's timeout" });
    }
    if (step.kind === 'http' && step.http.timeout !== undefined && step.http.timeout > (step.timeout ?? definition.timeout)) {
      ctx.addIssue({ code: 'custom', path: ['steps', index, 'http', 'timeout'], message: "must not exceed the step's timeout" });
    }
    if (step.kind === 'procedure') {
      // Only direct self-calls are visible here; longer cycles need the other procedures and are checked at run time.
      if (step.procedure === definition.name) {
        ctx.addIssue({ code: 'custom', path: ['steps', index, 'procedure'], message: 'a procedure cannot call itself' });
      }
      for (const [key, value] of Object.entries(step.params)) {
        if (typeof value === 'object' && !Array.isArray(value) && !parameterNames.includes(value.param)) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', index, 'params', key, 'param'],
            message: `"${value.param}" is not a parameter of this procedure`,
          });
        }
      }
    }
  });
  const when = definition.approval?.when;
  if (when !== undefined) checkApprovalCondition(when, definition, ctx);
}

function checkApprovalCondition(when: string, definition: ProcedureDefinition, ctx: z.RefinementCtx<ProcedureDefinition>): void {
  let referenced: readonly string[];
  try {
    referenced = compileCondition(when, Object.keys(definition.parameters)).parameters;
  } catch (error) {
    if (!(error instanceof DefinitionError)) throw error;
    for (const detail of error.errors) {
      ctx.addIssue({ code: 'custom', path: ['approval', 'when'], message: detail.message, params: { column: detail.column } });
    }
    return;
  }
  // Whether a run needs approval is visible to the requester and approvers, so a condition on a
  // secret would let anyone probe the secret's value one run at a time.
  for (const name of referenced) {
    const parameter = definition.parameters[name];
    if (parameter.type === 'string' && parameter.secret) {
      ctx.addIssue({ code: 'custom', path: ['approval', 'when'], message: `cannot use the secret parameter '${name}'` });
    }
  }
}
