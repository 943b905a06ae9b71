const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;
// Units must appear largest first and at most once, so `1h30m` has one spelling and typos like `30m1h` are caught.
const DURATION_PATTERN = /^(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?$/;
const SECONDS_PATTERN = /^\d{1,12}$/;

const HINT = 'use a whole number of seconds or a duration like 90s, 10m, 1h30m, 2d';

/** Thrown by {@link parseDuration}; the message is meant for the author of the definition. */
export class DurationFormatError extends Error {
  override readonly name = 'DurationFormatError';
}

/**
 * Parses a duration written as `90s`, `10m`, `1h30m`, `2h`, `7d`, or a whole number of seconds
 * (as a number or a string of digits) and returns it in seconds.
 */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) {
      throw new DurationFormatError(`${String(input)} is not a duration: ${HINT}`);
    }
    return input;
  }
  const text = input.trim();
  if (SECONDS_PATTERN.test(text)) {
    return Number(text);
  }
  const match = DURATION_PATTERN.exec(text);
  if (text === '' || match === null) {
    throw new DurationFormatError(`${JSON.stringify(input.slice(0, 40))} is not a duration: ${HINT}`);
  }
  const [, days, hours, minutes, seconds] = match;
  return (
    Number(days ?? 0) * UNIT_SECONDS.d +
    Number(hours ?? 0) * UNIT_SECONDS.h +
    Number(minutes ?? 0) * UNIT_SECONDS.m +
    Number(seconds ?? 0) * UNIT_SECONDS.s
  );
}

/** Formats seconds as the shortest canonical duration (`5400` → `1h30m`, `0` → `0s`) that {@link parseDuration} reads back. */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isSafeInteger(totalSeconds) || totalSeconds < 0) {
    throw new DurationFormatError(`${String(totalSeconds)} is not a whole, non-negative number of seconds`);
  }
  if (totalSeconds === 0) {
    return '0s';
  }
  let remaining = totalSeconds;
  let text = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const count = Math.floor(remaining / size);
    if (count > 0) {
      text += `${count}${unit}`;
      remaining -= count * size;
    }
  }
  return text;
}
