import type { ParameterValue, ProcedureDefinition } from './procedure-definition';

export const REDACTED_VALUE = '***';

/**
 * Copies run parameters with every secret parameter's value replaced by `***`, for anything that is
 * shown or stored outside the step's environment (execution records, audit events, logs).
 * Names the definition does not know are left out: nothing says they are not secrets.
 */
export function redactParameters(
  definition: Pick<ProcedureDefinition, 'parameters'>,
  params: Readonly<Record<string, ParameterValue>>,
): Record<string, ParameterValue> {
  const redacted: Record<string, ParameterValue> = {};
  for (const [name, value] of Object.entries(params)) {
    if (!Object.hasOwn(definition.parameters, name)) continue;
    const parameter = definition.parameters[name];
    redacted[name] = parameter.type === 'string' && parameter.secret ? REDACTED_VALUE : value;
  }
  return redacted;
}
