import { describe, expect, it } from 'vitest';
import { DurationFormatError, formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['10m', 600],
    ['2h', 7_200],
    ['1h30m', 5_400],
    ['1h30m15s', 5_415],
    ['2d', 172_800],
    ['1d12h', 129_600],
    ['90m', 5_400],
    ['0s', 0],
    ['120', 120],
    [' 5m ', 300],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it('reads a whole number as seconds', () => {
    expect(parseDuration(45)).toBe(45);
    expect(parseDuration(0)).toBe(0);
  });

  it.each(['', '1.5h', '10 m', '30m1h', '1h1h', '5x', 'h', '-5m', '1H', 'ten minutes', '1h 30m'])(
    'refuses %j with a hint about the accepted forms',
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationFormatError);
      expect(() => parseDuration(text)).toThrow(/90s, 10m, 1h30m/);
    },
  );

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])('refuses the number %d', (value) => {
    expect(() => parseDuration(value)).toThrow(DurationFormatError);
  });

  it('truncates a huge invalid input in its message', () => {
    const error = (() => {
      try {
        parseDuration('x'.repeat(10_000));
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error?.message.length).toBeLessThan(200);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45, '45s'],
    [90, '1m30s'],
    [600, '10m'],
    [5_400, '1h30m'],
    [3_600, '1h'],
    [86_400, '1d'],
    [93_784, '1d2h3m4s'],
  ])('writes %i seconds as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('writes what parseDuration reads back', () => {
    for (let seconds = 0; seconds < 200_000; seconds += 997) {
      expect(parseDuration(formatDuration(seconds))).toBe(seconds);
    }
  });

  it.each([-1, 1.5, Number.NaN])('refuses %d', (seconds) => {
    expect(() => formatDuration(seconds)).toThrow(DurationFormatError);
  });
});
