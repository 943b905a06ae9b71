import { describe, expect, it } from 'vitest';
import { requiresApproval } from './approval-requirement';
import { parseDefinition } from './definition-parser';
import { RESTART_SERVICE_YAML } from './procedure-definition.fixtures';

function definitionWith(approval: Record<string, unknown> | undefined) {
  return parseDefinition(
    {
      name: 'demo',
      parameters: { environment: { type: 'string' }, replicas: { type: 'integer' } },
      steps: [{ name: 'a', run: 'echo' }],
      ...(approval === undefined ? {} : { approval }),
    },
    'object',
  );
}

describe('requiresApproval', () => {
  it('never requires approval without an approval policy', () => {
    expect(requiresApproval(definitionWith(undefined), { environment: 'production' })).toBe(false);
  });

  it('always requires approval when the policy has no condition', () => {
    expect(requiresApproval(definitionWith({ approvers: 2 }), {})).toBe(true);
  });

  it('follows the condition', () => {
    const definition = parseDefinition(RESTART_SERVICE_YAML, 'yaml');
    expect(requiresApproval(definition, { service: 'api', environment: 'production' })).toBe(true);
    expect(requiresApproval(definition, { service: 'api', environment: 'staging' })).toBe(false);
  });

  it('fails closed when the condition cannot be evaluated for the values given', () => {
    const definition = definitionWith({ when: 'replicas > 5' });
    expect(requiresApproval(definition, { replicas: 3 })).toBe(false);
    expect(requiresApproval(definition, {})).toBe(true);
    expect(requiresApproval(definition, { replicas: 'many' })).toBe(true);
  });
});
