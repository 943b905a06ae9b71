import { describe, expect, it } from 'vitest';
import { DEFAULT_STEP_OUTPUT_LIMITS, parseStepOutputs, stepOutputsToEnvironment, StepOutputsError } from './step-outputs';

describe('parseStepOutputs', () => {
  it('reads key=value lines with the value being the rest of the line', () => {
    expect(parseStepOutputs('a=1\nurl=https://x.test/?q=a=b\nempty=\n')).toEqual({
      a: '1',
      url: 'https://x.test/?q=a=b',
      empty: '',
    });
  });

  it('keeps spaces in values as written', () => {
    expect(parseStepOutputs('msg=  hello world  ')).toEqual({ msg: '  hello world  ' });
  });

  it('ignores blank lines and comment lines', () => {
    expect(parseStepOutputs('\n# a comment\n   \na=1\n#b=2\n')).toEqual({ a: '1' });
  });

  it('accepts CRLF line endings', () => {
    expect(parseStepOutputs('a=1\r\nb=2\r\n')).toEqual({ a: '1', b: '2' });
  });

  it('keeps the last value of a key written twice', () => {
    expect(parseStepOutputs('a=1\na=2\n')).toEqual({ a: '2' });
  });

  it('reads the multiline form key<<DELIMITER … DELIMITER', () => {
    const content = 'before=1\nnotes<<EOF\nline one\n\nline = three\nEOF\nafter=2\n';
    expect(parseStepOutputs(content)).toEqual({ before: '1', notes: 'line one\n\nline = three', after: '2' });
  });

  it('reads an empty multiline value', () => {
    expect(parseStepOutputs('a<<END\nEND\n')).toEqual({ a: '' });
  });

  it('treats "<<" after "=" as part of a plain value', () => {
    expect(parseStepOutputs('a=x<<y\n')).toEqual({ a: 'x<<y' });
  });

  it('rejects a multiline value without its closing delimiter', () => {
    expect(() => parseStepOutputs('a<<EOF\nsome text\n')).toThrow(/no closing "EOF"/);
  });

  it('rejects lines that are not key=value', () => {
    expect(() => parseStepOutputs('just text')).toThrow(StepOutputsError);
    expect(() => parseStepOutputs('1abc=x')).toThrow(/line 1/);
    expect(() => parseStepOutputs('ok=1\nbad key=x')).toThrow(/line 2/);
    expect(() => parseStepOutputs('-x=1')).toThrow(StepOutputsError);
  });

  it('rejects content larger than the size limit', () => {
    expect(() => parseStepOutputs(`a=${'x'.repeat(20)}`, { maxBytes: 10, maxKeys: 10 })).toThrow(/limit of 10/);
    expect(DEFAULT_STEP_OUTPUT_LIMITS.maxBytes).toBe(1024 * 1024);
  });

  it('rejects more keys than the key limit', () => {
    const content = Array.from({ length: 4 }, (_, index) => `k${index}=v`).join('\n');
    expect(parseStepOutputs(content, { maxBytes: 1000, maxKeys: 4 })).toHaveProperty('k3', 'v');
    expect(() => parseStepOutputs(`${content}\nk4=v`, { maxBytes: 1000, maxKeys: 4 })).toThrow(/more than 4/);
    expect(DEFAULT_STEP_OUTPUT_LIMITS.maxKeys).toBe(100);
  });

  it('rejects values containing a NUL byte, which no environment variable can hold', () => {
    expect(() => parseStepOutputs('a=x\0y')).toThrow(/NUL/);
  });

  it('is not fooled by keys named like Object.prototype members', () => {
    const outputs = parseStepOutputs('__proto__=x\nconstructor=y');
    expect(Object.keys(outputs)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(outputs)).toBe(Object.prototype);
  });
});

describe('stepOutputsToEnvironment', () => {
  it('names each output STEP_<STEP>_<KEY>, upper-cased with non-alphanumerics as _', () => {
    expect(
      stepOutputsToEnvironment({ restart: { restarted_at: 't1' }, 'check-health.v2': { Status: 'ok' } }),
    ).toEqual({ STEP_RESTART_RESTARTED_AT: 't1', STEP_CHECK_HEALTH_V2_STATUS: 'ok' });
  });

  it('lets the later of two colliding names win', () => {
    expect(stepOutputsToEnvironment({ s: { url: 'a', URL: 'b' } })).toEqual({ STEP_S_URL: 'b' });
  });
});
