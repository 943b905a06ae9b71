import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { parseDefinition } from './definition-parser';
import { compileParameterSchema, PARAMETER_SCHEMA_ANNOTATIONS } from './parameter-schema.compiler';
import { EVERY_FIELD_YAML, RESTART_SERVICE_YAML } from './procedure-definition.fixtures';

describe('compileParameterSchema', () => {
  it('compiles the architecture example to a closed object schema', () => {
    const { parameters } = parseDefinition(RESTART_SERVICE_YAML, 'yaml');
    expect(compileParameterSchema(parameters)).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        service: { type: 'string', title: 'service', enum: ['api', 'worker'], 'x-order': 0 },
        environment: { type: 'string', title: 'environment', enum: ['staging', 'production'], default: 'staging', 'x-order': 1 },
        reason: { type: 'string', title: 'reason', description: 'ticket id', pattern: '^[A-Z]+-[0-9]+$', 'x-order': 2 },
        token: { type: 'string', title: 'token', writeOnly: true, 'x-secret': true, 'x-order': 3 },
      },
      required: ['service'],
      additionalProperties: false,
    });
  });

  it('maps every parameter kind, with labels as titles and the definition order', () => {
    const { parameters } = parseDefinition(EVERY_FIELD_YAML, 'yaml');
    const schema = compileParameterSchema(parameters);
    expect(Object.keys(schema.properties)).toEqual(Object.keys(parameters));
    expect(Object.values(schema.properties).map((property) => property['x-order'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(schema.required).toEqual(['environment', 'api_token']);
    expect(schema.properties).toMatchObject({
      environment: { type: 'string', title: 'Environment', description: 'Where to rotate', enum: ['staging', 'production', 'dr'], default: 'staging' },
      ticket: { type: 'string', pattern: '^OPS-[0-9]{1,6}$', minLength: 5, maxLength: 10 },
      api_token: { type: 'string', writeOnly: true, 'x-secret': true, 'x-multiline': true },
      notes: { type: 'string', maxLength: 2000, 'x-multiline': true },
      batch_size: { type: 'integer', minimum: 1, maximum: 50, default: 5 },
      ratio: { type: 'number', minimum: 0, maximum: 1, default: 0.25 },
      replicas: { type: 'integer', enum: [1, 3, 5] },
      dry_run: { type: 'boolean', default: true },
      regions: { type: 'array', items: { type: 'string', enum: ['eu', 'us', 'ap'] }, uniqueItems: true, minItems: 1, maxItems: 3, default: ['eu'] },
      hosts: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9.-]+$', maxLength: 253 }, uniqueItems: true, maxItems: 20 },
      ports: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 65535 }, uniqueItems: true },
    });
    expect(schema.properties.notes).not.toHaveProperty('x-secret');
    expect(schema.properties.ticket).not.toHaveProperty('x-multiline');
  });

  it('compiles no parameters to a schema accepting only an empty object', () => {
    expect(compileParameterSchema({})).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
  });

  it('produces a schema strict ajv accepts once the form annotations are declared', () => {
    const { parameters } = parseDefinition(EVERY_FIELD_YAML, 'yaml');
    const ajv = new Ajv2020({ strict: true, logger: false });
    ajv.addVocabulary([...PARAMETER_SCHEMA_ANNOTATIONS]);
    expect(() => ajv.compile(compileParameterSchema(parameters))).not.toThrow();
  });

  it('copies defaults and choices so the schema can be changed without touching the definition', () => {
    const { parameters } = parseDefinition(EVERY_FIELD_YAML, 'yaml');
    const schema = compileParameterSchema(parameters);
    (schema.properties.regions.default as string[]).push('us');
    schema.properties.environment.enum?.push('elsewhere');
    expect(parameters.regions.default).toEqual(['eu']);
    expect(parameters.environment.type === 'string' && parameters.environment.enum).toEqual(['staging', 'production', 'dr']);
  });
});
