import { z } from 'zod';
import { DurationFormatError, formatDuration, parseDuration } from './duration';

/*
 * Field schemas shared by the step, parameter and procedure schemas, so a slug or a duration
 * means the same thing everywhere in a definition.
 */

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const PARAMETER_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

export const slugSchema = z
  .string()
  .regex(SLUG_PATTERN, { error: 'must be a slug: 1–63 lowercase letters, digits and dashes, not starting with a dash' });

export const parameterNameSchema = z.string().regex(PARAMETER_NAME_PATTERN, {
  error: 'must be a parameter name: 1–63 lowercase letters, digits and underscores, starting with a letter',
});

export function boundedTextSchema(maxLength: number): z.ZodString {
  return z.string().trim().min(1).max(maxLength);
}

interface DurationBounds {
  min: number;
  max: number;
}

/** Accepts `90s`, `10m`, `1h30m`, `2d` or a number of seconds; yields seconds within the bounds. */
export function durationSchema({ min, max }: DurationBounds) {
  return z
    .union([z.number(), z.string()], { error: 'must be a duration like 90s, 10m, 1h30m, or a number of seconds' })
    .transform((value, ctx): number => {
      let seconds: number;
      try {
        seconds = parseDuration(value);
      } catch (error) {
        if (!(error instanceof DurationFormatError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
      if (seconds < min || seconds > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${formatDuration(min)} and ${formatDuration(max)}` });
        return z.NEVER;
      }
      return seconds;
    });
}

/** A list whose entries must be distinct; a duplicate is reported at its own index. */
export function uniqueListSchema<T extends z.ZodType<string | number>>(item: T, bounds: { min?: number; max: number }) {
  return z
    .array(item)
    .min(bounds.min ?? 0)
    .max(bounds.max)
    .superRefine((items, ctx) => {
      const seen = new Set<unknown>();
      items.forEach((value, index) => {
        if (seen.has(value)) {
          ctx.addIssue({ code: 'custom', path: [index], message: `${JSON.stringify(value)} is listed twice` });
        }
        seen.add(value);
      });
    });
}
