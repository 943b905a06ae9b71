import { describe, expect, it } from 'vitest';
import { formatParameterValue } from './parameter-text';

describe('formatParameterValue', () => {
  it('passes strings through untouched', () => {
    expect(formatParameterValue('$(rm -rf /); `x` "q"')).toBe('$(rm -rf /); `x` "q"');
  });

  it('writes booleans as true/false and null as empty text', () => {
    expect(formatParameterValue(true)).toBe('true');
    expect(formatParameterValue(false)).toBe('false');
    expect(formatParameterValue(null)).toBe('');
  });

  it('writes numbers as plain decimal text, never in exponent notation', () => {
    expect(formatParameterValue(42)).toBe('42');
    expect(formatParameterValue(-3.25)).toBe('-3.25');
    expect(formatParameterValue(0)).toBe('0');
    expect(formatParameterValue(1e21)).toBe('1000000000000000000000');
    expect(formatParameterValue(1.5e22)).toBe('15000000000000000000000');
    expect(formatParameterValue(1e-7)).toBe('0.0000001');
    expect(formatParameterValue(-1.25e-8)).toBe('-0.0000000125');
    expect(formatParameterValue(10n)).toBe('10');
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(() => formatParameterValue(Number.NaN)).toThrow(TypeError);
    expect(() => formatParameterValue(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it('writes arrays and objects as JSON', () => {
    expect(formatParameterValue(['a', 1])).toBe('["a",1]');
    expect(formatParameterValue({ a: { b: true } })).toBe('{"a":{"b":true}}');
  });

  it('refuses values that are not JSON data', () => {
    expect(() => formatParameterValue(() => 1)).toThrow(TypeError);
    expect(() => formatParameterValue(undefined)).toThrow(TypeError);
  });
});
