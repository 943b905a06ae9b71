import { describe, expect, it } from 'vitest';
import { previewDefinition, schemaFromParameters } from './definition-preview';

describe('previewDefinition', () => {
  it('compiles parameters the way the server does, for the form preview', () => {
    const preview = previewDefinition(`name: restart-service
description: Restart one service.
parameters:
  service:     { type: string, enum: [api, worker], required: true }
  environment: { type: string, enum: [staging, production], default: staging }
  reason:      { type: string, pattern: "^[A-Z]+-[0-9]+$", description: "ticket id", label: Ticket }
  replicas:    { type: integer, min: 1, max: 10, default: 2 }
  regions:     { type: array, items: { type: string, enum: [eu, us, ap] }, default: [eu], max_items: 2 }
  token:       { type: string, secret: true, multiline: true }
steps:
  - name: restart
    run: echo hi
approval: { when: "environment == 'production'", approvers: 2 }
`);
    expect(preview.problems).toEqual([]);
    expect(preview.name).toBe('restart-service');
    expect(preview.approval).toEqual({ when: "environment == 'production'", approvers: 2 });
    expect(preview.schema.required).toEqual(['service']);
    expect(preview.schema.properties).toEqual({
      service: { type: 'string', title: 'service', enum: ['api', 'worker'], 'x-order': 0 },
      environment: { type: 'string', title: 'environment', enum: ['staging', 'production'], default: 'staging', 'x-order': 1 },
      reason: { type: 'string', title: 'Ticket', description: 'ticket id', pattern: '^[A-Z]+-[0-9]+$', 'x-order': 2 },
      replicas: { type: 'integer', title: 'replicas', minimum: 1, maximum: 10, default: 2, 'x-order': 3 },
      regions: { type: 'array', title: 'regions', items: { type: 'string', enum: ['eu', 'us', 'ap'] }, uniqueItems: true, maxItems: 2, default: ['eu'], 'x-order': 4 },
      token: { type: 'string', title: 'token', writeOnly: true, 'x-secret': true, 'x-multiline': true, 'x-order': 5 },
    });
  });

  it('reports YAML syntax errors with their line', () => {
    const preview = previewDefinition('name: x\nparameters:\n  a: { type: string\nsteps: []\n');
    expect(preview.problems.length).toBeGreaterThan(0);
    expect(preview.problems[0].line).toBeGreaterThanOrEqual(3);
  });

  it('reports a parameter of an unknown type at its line', () => {
    const preview = previewDefinition('name: x\nparameters:\n  a: { type: colour }\nsteps: []\n');
    expect(preview.problems).toEqual([{ line: 3, message: 'parameters.a.type must be one of string, number, integer, boolean, array' }]);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    const preview = previewDefinition(bomb);
    expect(preview.problems[0].message).toMatch(/alias/i);
  });

  it('accepts no parameters at all', () => {
    expect(schemaFromParameters(undefined)).toEqual({ schema: { type: 'object', properties: {}, required: [] }, problems: [] });
  });
});
