import { type CompiledCondition, compileCondition, ConditionEvaluationError } from './condition';
import type { ProcedureDefinition } from './procedure-definition';

const compiledByDefinition = new WeakMap<ProcedureDefinition, CompiledCondition>();

/**
 * Whether a run with these (validated) parameters must be approved before it is queued.
 * Fails closed: a condition that cannot be evaluated for these values (a comparison of a number
 * parameter that was left out, say) requires approval rather than skipping it.
 */
export function requiresApproval(definition: ProcedureDefinition, params: Readonly<Record<string, unknown>>): boolean {
  const approval = definition.approval;
  if (approval === undefined) return false;
  if (approval.when === undefined) return true;
  let condition = compiledByDefinition.get(definition);
  if (condition === undefined) {
    condition = compileCondition(approval.when, Object.keys(definition.parameters));
    compiledByDefinition.set(definition, condition);
  }
  try {
    return condition.evaluate(params);
  } catch (error) {
    if (error instanceof ConditionEvaluationError) return true;
    throw error;
  }
}
