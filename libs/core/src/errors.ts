/**
 * Domain errors. Domain code throws these; one exception filter in the api maps them to
 * application/problem+json. No HTTP status codes inside domain libraries.
 */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `params.environment` or `steps[1].shell`. */
  field: string;
  message: string;
  line?: number;
}

export abstract class DomainError extends Error {
  /** Set once the refusal has been written to the audit log, so it is recorded exactly once. */
  audited = false;
  abstract readonly kind: 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'rate_limited' | 'too_large' | 'unprocessable';
}

/** Malformed input (wrong shape, bad field). */
export class InvalidError extends DomainError {
  readonly kind = 'invalid' as const;
  constructor(message: string, readonly errors: FieldError[] = []) {
    super(message);
  }
}

/** Well-formed input that fails a rule (e.g. parameter values against their schema). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable' as const;
  constructor(message: string, readonly errors: FieldError[] = []) {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated' as const;
  constructor(message = 'authentication required') {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden' as const;
  constructor(message = 'not allowed') {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found' as const;
  constructor(what = 'resource') {
    super(`${what} not found`);
  }
}

/**
 * The object exists but the caller may not see it. Answered exactly like NotFoundError (never
 * reveal existence), but recorded in the audit log as a denial.
 */
export class NotVisibleError extends NotFoundError {
  constructor(what = 'resource', readonly resourceType = what, readonly resourceId: string | null = null) {
    super(what);
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict' as const;
  constructor(message: string) {
    super(message);
  }
}

export class RateLimitedError extends DomainError {
  readonly kind = 'rate_limited' as const;
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

export class TooLargeError extends DomainError {
  readonly kind = 'too_large' as const;
  constructor(message: string) {
    super(message);
  }
}
