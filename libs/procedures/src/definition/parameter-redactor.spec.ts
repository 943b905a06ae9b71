import { describe, expect, it } from 'vitest';
import { parseDefinition } from './definition-parser';
import { redactParameters } from './parameter-redactor';
import { RESTART_SERVICE_YAML } from './procedure-definition.fixtures';

describe('redactParameters', () => {
  const definition = parseDefinition(RESTART_SERVICE_YAML, 'yaml');

  it('replaces secret values with *** and keeps the others', () => {
    expect(redactParameters(definition, { service: 'api', environment: 'staging', token: 's3cr3t' })).toEqual({
      service: 'api',
      environment: 'staging',
      token: '***',
    });
  });

  it('leaves out names the definition does not know, since they might be secrets', () => {
    expect(redactParameters(definition, { service: 'api', tokne: 's3cr3t' })).toEqual({ service: 'api' });
  });

  it('does not change its input', () => {
    const params = { token: 's3cr3t' };
    redactParameters(definition, params);
    expect(params.token).toBe('s3cr3t');
  });
});
