/** One problem found in a procedure definition, located by field path and, for YAML/JSON text, by line. */
export interface DefinitionErrorDetail {
  /** Field path such as `steps[1].shell` or `parameters.environment.default`; `''` is the whole document. */
  path: string;
  message: string;
  /** 1-based line in the submitted text, when the definition arrived as text. */
  line?: number;
  /** 1-based column inside the field's value (condition syntax errors). */
  column?: number;
}

const SUMMARY_LIMIT = 5;

/**
 * Thrown when a procedure definition (or a part of it, such as an approval condition) is invalid.
 * Carries every problem found, so an author can fix them all in one round trip.
 */
export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
  readonly errors: DefinitionErrorDetail[];

  constructor(errors: DefinitionErrorDetail[]) {
    super(summarize(errors));
    this.errors = errors;
  }
}

function summarize(errors: readonly DefinitionErrorDetail[]): string {
  const shown = errors.slice(0, SUMMARY_LIMIT).map((error) => {
    const where = error.path === '' ? 'definition' : error.path;
    const line = error.line === undefined ? '' : ` (line ${error.line})`;
    return `${where}: ${error.message}${line}`;
  });
  const more = errors.length > SUMMARY_LIMIT ? `; and ${errors.length - SUMMARY_LIMIT} more` : '';
  return `Invalid procedure definition: ${shown.join('; ')}${more}`;
}
