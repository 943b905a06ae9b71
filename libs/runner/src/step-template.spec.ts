import { describe, expect, it } from 'vitest';
import { renderJsonTemplate, renderTemplate, TemplateError, type TemplateContext } from './step-template';

const context: TemplateContext = {
  params: { name: 'a b/c?d', count: 3, enabled: true, tags: ['x', 'y'], empty: null, 'with-dash': 'ok' },
  steps: { lookup: { id: '42', quote: 'say "hi"' }, 'check-health': { status: 'green' } },
};

describe('renderTemplate', () => {
  it('returns text without references unchanged', () => {
    expect(renderTemplate('plain $HOME ${x} {{ y }}', context)).toBe('plain $HOME ${x} {{ y }}');
  });

  it('replaces parameter and step output references', () => {
    expect(renderTemplate('${{ params.count }}/${{steps.lookup.id}}/${{  params.with-dash  }}', context)).toBe('3/42/ok');
    expect(renderTemplate('${{ steps.check-health.status }}', context)).toBe('green');
  });

  it('uses the parameter text form for non-string values', () => {
    expect(renderTemplate('${{ params.enabled }} ${{ params.tags }} [${{ params.empty }}]', context)).toBe(
      'true ["x","y"] []',
    );
  });

  it('encodes each value for where it lands', () => {
    expect(renderTemplate('/items/${{ params.name }}', context, encodeURIComponent)).toBe('/items/a%20b%2Fc%3Fd');
  });

  it('does not evaluate anything', () => {
    expect(() => renderTemplate('${{ params.count + 1 }}', context)).toThrow(/unsupported expression/);
    expect(() => renderTemplate('${{ process.env.SECRET }}', context)).toThrow(TemplateError);
    expect(() => renderTemplate("${{ params['name'] }}", context)).toThrow(TemplateError);
  });

  it('refuses references to missing parameters or outputs', () => {
    expect(() => renderTemplate('${{ params.missing }}', context)).toThrow('params.missing is not set');
    expect(() => renderTemplate('${{ steps.nope.id }}', context)).toThrow('steps.nope has no outputs');
    expect(() => renderTemplate('${{ steps.lookup.nope }}', context)).toThrow('steps.lookup.nope is not set');
  });

  it('does not reach into Object.prototype', () => {
    expect(() => renderTemplate('${{ params.constructor }}', context)).toThrow(/not set/);
    expect(() => renderTemplate('${{ steps.lookup.constructor }}', context)).toThrow(/not set/);
    expect(() => renderTemplate('${{ steps.__proto__.x }}', context)).toThrow(/no outputs/);
  });

  it('refuses an unterminated reference', () => {
    expect(() => renderTemplate('x ${{ params.count', context)).toThrow(/unterminated/);
  });

  it('does not render references found inside substituted values', () => {
    const nested: TemplateContext = { params: { a: '${{ params.b }}', b: 'secret' }, steps: {} };
    expect(renderTemplate('${{ params.a }}', nested)).toBe('${{ params.b }}');
  });
});

describe('renderJsonTemplate', () => {
  it('gives a string that is exactly one reference the JSON type of the value', () => {
    expect(
      renderJsonTemplate({ n: '${{ params.count }}', on: '${{ params.enabled }}', t: '${{ params.tags }}' }, context),
    ).toEqual({ n: 3, on: true, t: ['x', 'y'] });
    expect(renderJsonTemplate('${{ params.empty }}', context)).toBeNull();
  });

  it('renders references embedded in longer strings as text', () => {
    expect(renderJsonTemplate({ msg: 'count=${{ params.count }} id=${{ steps.lookup.id }}' }, context)).toEqual({
      msg: 'count=3 id=42',
    });
  });

  it('renders inside nested arrays and objects and leaves other values alone', () => {
    expect(renderJsonTemplate({ a: [{ b: '${{ steps.lookup.id }}' }, 1, false, null] }, context)).toEqual({
      a: [{ b: '42' }, 1, false, null],
    });
  });

  it('keeps quotes in values harmless once the result is serialized', () => {
    const body = JSON.stringify(renderJsonTemplate({ q: 'x ${{ steps.lookup.quote }}' }, context));
    expect(JSON.parse(body)).toEqual({ q: 'x say "hi"' });
  });
});
