/**
 * The text form of a parameter value, as a step sees it in `PARAM_<NAME>` or in a template:
 * strings as they are, numbers in plain decimal, booleans as `true`/`false`, null as empty,
 * arrays and objects as JSON.
 */
export function formatParameterValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatDecimal(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? '' : JSON.stringify(value);
    default:
      throw new TypeError(`unsupported parameter value of type ${typeof value}`);
  }
}

/** `String(n)` switches to exponent notation (`1e+21`, `1e-7`), which scripts rarely parse. */
function formatDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`parameter value ${value} is not a finite number`);
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, lead, fraction = '', exponentText] = match;
  const digits = lead + fraction;
  const point = 1 + Number(exponentText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
