import { describe, expect, it } from 'vitest';
import { DefinitionError } from './definition-error';

describe('DefinitionError', () => {
  it('is an Error carrying every detail', () => {
    const errors = [
      { path: 'steps[1].shell', message: 'must be bash', line: 7 },
      { path: '', message: 'is too large' },
    ];
    const error = new DefinitionError(errors);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DefinitionError');
    expect(error.errors).toEqual(errors);
    expect(error.message).toBe('Invalid procedure definition: steps[1].shell: must be bash (line 7); definition: is too large');
  });

  it('summarises many errors without listing them all in the message', () => {
    const errors = Array.from({ length: 12 }, (_, index) => ({ path: `steps[${index}].name`, message: 'is required' }));
    const error = new DefinitionError(errors);
    expect(error.message).toContain('and 7 more');
    expect(error.errors).toHaveLength(12);
  });
});
