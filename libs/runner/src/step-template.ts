import { formatParameterValue } from './parameter-text';

export interface TemplateContext {
  params: Readonly<Record<string, unknown>>;
  steps: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A `${{ … }}` reference that is malformed or names nothing. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const EXPRESSION = /\$\{\{(.*?)\}\}/gs;
const NAME = '[A-Za-z0-9_-]+';
const REFERENCE = new RegExp(`^\\s*(?:params\\.(${NAME})|steps\\.(${NAME})\\.([A-Za-z_][A-Za-z0-9_]*))\\s*$`);

/**
 * Replaces `${{ params.name }}` and `${{ steps.step.key }}` in text. This is the whole language:
 * a lookup, never evaluation. `encode` escapes each value for where it lands (a URL, a form).
 */
export function renderTemplate(
  text: string,
  context: TemplateContext,
  encode: (value: string) => string = (value) => value,
): string {
  if (!text.includes('${{')) return text;
  if (text.replace(EXPRESSION, '').includes('${{')) throw new TemplateError('unterminated "${{" in template');
  return text.replace(EXPRESSION, (_match, expression: string) =>
    encode(formatParameterValue(lookUp(expression, context))),
  );
}

/**
 * Renders the string values inside a JSON value. A string that is exactly one reference takes the
 * referenced value with its JSON type (`"${{ params.count }}"` → `3`); JSON.stringify of the result
 * then escapes everything, so a value can never change the document's structure.
 */
export function renderJsonTemplate(value: unknown, context: TemplateContext): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{\{(.*?)\}\}$/s.exec(value);
    if (whole && !whole[1].includes('}}')) return lookUp(whole[1], context);
    return renderTemplate(value, context);
  }
  if (Array.isArray(value)) return value.map((item) => renderJsonTemplate(item, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderJsonTemplate(item, context)]));
  }
  return value;
}

function lookUp(expression: string, context: TemplateContext): unknown {
  const match = REFERENCE.exec(expression);
  if (!match) {
    throw new TemplateError(
      `unsupported expression "\${{${expression}}}": only \${{ params.<name> }} and \${{ steps.<step>.<key> }} are allowed`,
    );
  }
  const [, param, step, key] = match;
  if (param !== undefined) {
    // Own properties only: "constructor" or "__proto__" must not reach into Object.prototype.
    const value = Object.hasOwn(context.params, param) ? context.params[param] : undefined;
    if (value === undefined) throw new TemplateError(`params.${param} is not set`);
    return value;
  }
  const outputs = Object.hasOwn(context.steps, step) ? context.steps[step] : undefined;
  if (outputs === undefined) throw new TemplateError(`steps.${step} has no outputs`);
  if (!Object.hasOwn(outputs, key)) throw new TemplateError(`steps.${step}.${key} is not set`);
  return outputs[key];
}
