import { type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { type FieldError, InvalidError } from '@switchboard/core';

/** Validates a request part against a zod schema; every failing field is listed in the 400. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T, private readonly what = 'request body') {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const errors: FieldError[] = result.error.issues.map((issue) => ({
      field: issue.path.length > 0 ? issue.path.join('.') : (issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys?.join(',') ?? '' : ''),
      message: issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message,
    }));
    throw new InvalidError(`invalid ${this.what}`, errors);
  }
}
