import { describe, expect, it } from 'vitest';
import type { ParameterSchema } from '../../api/types';
import { fieldProblem, formProblems, initialValues, orderedFields, toParams } from './parameter-fields';

const schema: ParameterSchema = {
  type: 'object',
  properties: {
    regions: { type: 'array', title: 'Regions', items: { type: 'string', enum: ['eu', 'us', 'ap'] }, uniqueItems: true, minItems: 1, default: ['eu'], 'x-order': 4 },
    service: { type: 'string', title: 'service', enum: ['api', 'worker'], 'x-order': 0 },
    reason: { type: 'string', title: 'reason', description: 'ticket id', pattern: '^[A-Z]+-[0-9]+$', 'x-order': 1 },
    replicas: { type: 'integer', title: 'replicas', minimum: 1, maximum: 10, default: 2, 'x-order': 2 },
    token: { type: 'string', title: 'token', writeOnly: true, 'x-secret': true, 'x-order': 3 },
    dry_run: { type: 'boolean', title: 'dry_run', default: false, 'x-order': 5 },
    notes: { type: 'string', title: 'notes', 'x-multiline': true, maxLength: 5, 'x-order': 6 },
    ports: { type: 'array', title: 'ports', items: { type: 'integer', minimum: 1, maximum: 65535 }, 'x-order': 7 },
    size: { type: 'number', title: 'size', enum: [1, 2.5], 'x-order': 8 },
  },
  required: ['service', 'regions'],
};

describe('orderedFields', () => {
  it('follows x-order and picks the right input for each parameter', () => {
    const fields = orderedFields(schema);
    expect(fields.map((f) => [f.name, f.kind, f.required])).toEqual([
      ['service', 'select', true],
      ['reason', 'text', false],
      ['replicas', 'number', false],
      ['token', 'secret', false],
      ['regions', 'multiselect', true],
      ['dry_run', 'checkbox', false],
      ['notes', 'textarea', false],
      ['ports', 'tags', false],
      ['size', 'select', false],
    ]);
  });

  it('draws nothing for a procedure without parameters', () => {
    expect(orderedFields(null)).toEqual([]);
  });
});

describe('validation and params', () => {
  const fields = orderedFields(schema);
  const field = (name: string) => fields.find((f) => f.name === name)!;

  it('fills defaults', () => {
    expect(initialValues(fields)).toEqual({ service: null, reason: '', replicas: 2, token: '', regions: ['eu'], dry_run: false, notes: '', ports: [], size: null });
  });

  it('reports required fields, patterns, bounds, whole numbers and lengths in the server\'s words', () => {
    expect(fieldProblem(field('service'), null)).toBe('is required');
    expect(fieldProblem(field('reason'), 'ops 12')).toBe('must match the pattern ^[A-Z]+-[0-9]+$');
    expect(fieldProblem(field('reason'), 'OPS-12')).toBeUndefined();
    expect(fieldProblem(field('replicas'), 11)).toBe('must be at most 10');
    expect(fieldProblem(field('replicas'), 1.5)).toBe('must be a whole number');
    expect(fieldProblem(field('replicas'), '')).toBeUndefined();
    expect(fieldProblem(field('notes'), 'héllo!')).toBe('must be at most 5 characters');
    expect(fieldProblem(field('regions'), [])).toBe('is required');
    expect(fieldProblem(field('ports'), ['80', '70000'])).toBe('70000 must be at most 65535');
    expect(fieldProblem(field('ports'), ['80', 'x'])).toBe('"x" must be a number');
  });

  it('counts characters as code points, like JSON Schema', () => {
    expect(fieldProblem(field('notes'), '😀😀😀😀😀')).toBeUndefined();
  });

  it('sends typed values and leaves empty optional fields out', () => {
    const values = { ...initialValues(fields), service: 'api', ports: ['80', '443'], size: '2.5' };
    expect(formProblems(fields, values)).toEqual({});
    expect(toParams(fields, values)).toEqual({ service: 'api', replicas: 2, regions: ['eu'], dry_run: false, ports: [80, 443], size: 2.5 });
  });
});
