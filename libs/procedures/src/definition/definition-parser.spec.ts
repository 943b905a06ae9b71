import { describe, expect, it } from 'vitest';
import { DefinitionError, type DefinitionErrorDetail } from './definition-error';
import { DEFINITION_MAX_BYTES, type DefinitionContentType, parseDefinition } from './definition-parser';
import { EVERY_FIELD_YAML, MINIMAL_YAML, RESTART_SERVICE_YAML } from './procedure-definition.fixtures';
import { parse as parseYaml } from 'yaml';

function errorsOf(input: string | object, contentType: DefinitionContentType = 'yaml'): DefinitionErrorDetail[] {
  try {
    parseDefinition(input, contentType);
  } catch (error) {
    if (error instanceof DefinitionError) return error.errors;
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

describe('parseDefinition: normalizing', () => {
  it('reads the architecture example into the normalized shape', () => {
    const definition = parseDefinition(RESTART_SERVICE_YAML, 'yaml');
    expect(definition).toMatchObject({
      name: 'restart-service',
      timeout: 600,
      retries: 0,
      retry_delay: 5,
      concurrency: 1,
      worker_group: 'default',
      approval: { when: "environment == 'production'", approvers: 1 },
      notify: { on: ['failed', 'timed_out'], channels: ['ops-mail'] },
      toil_minutes: 15,
      tags: [],
    });
    expect(Object.keys(definition.parameters)).toEqual(['service', 'environment', 'reason', 'token']);
    expect(definition.parameters.token).toEqual({ type: 'string', required: false, secret: true, multiline: false });
    expect(definition.steps.map((step) => [step.kind, step.name])).toEqual([
      ['run', 'restart'],
      ['run', 'check'],
    ]);
    expect(definition.steps[1]).toMatchObject({ shell: 'python3', continue_on_error: false, env: {} });
  });

  it('fills every default for a minimal definition', () => {
    expect(parseDefinition(MINIMAL_YAML, 'yaml')).toStrictEqual({
      name: 'hello',
      description: '',
      parameters: {},
      steps: [{ kind: 'run', name: 'say-hello', run: 'echo hello', shell: 'bash', continue_on_error: false, env: {} }],
      timeout: 3600,
      retries: 0,
      retry_delay: 5,
      worker_group: 'default',
      toil_minutes: 0,
      tags: [],
    });
  });

  it('reads durations into seconds everywhere', () => {
    const definition = parseDefinition(EVERY_FIELD_YAML, 'yaml');
    expect(definition.timeout).toBe(5_400);
    expect(definition.retry_delay).toBe(60);
    expect(definition.approval?.expires_after).toBe(172_800);
    expect(definition.steps[0].timeout).toBe(300);
    const http = definition.steps[1];
    expect(http.kind === 'http' && http.http.timeout).toBe(30);
  });

  it('reads JSON text and objects exactly as the same YAML', () => {
    const fromYaml = parseDefinition(EVERY_FIELD_YAML, 'yaml');
    const plain = parseYaml(EVERY_FIELD_YAML) as object;
    expect(parseDefinition(JSON.stringify(plain, null, 2), 'json')).toStrictEqual(fromYaml);
    expect(parseDefinition(plain, 'object')).toStrictEqual(fromYaml);
  });

  it('parses a normalized definition to itself, so API clients can send back what they read', () => {
    for (const text of [EVERY_FIELD_YAML, RESTART_SERVICE_YAML, MINIMAL_YAML]) {
      const definition = parseDefinition(text, 'yaml');
      expect(parseDefinition(structuredClone(definition), 'object')).toStrictEqual(definition);
      expect(parseDefinition(JSON.stringify(definition), 'json')).toStrictEqual(definition);
    }
  });

  it('refuses a step kind that disagrees with the step', () => {
    expect(errorsOf({ name: 'demo', steps: [{ kind: 'http', name: 'a', run: 'echo' }] }, 'object')).toEqual([
      { path: 'steps[0].kind', message: 'says http but the step has run' },
    ]);
  });

  it('returns a definition that shares nothing with an object input', () => {
    const plain = parseYaml(EVERY_FIELD_YAML) as { tags: string[]; steps: Array<{ http?: { body: { nested: { ok: boolean } } } }> };
    const definition = parseDefinition(plain, 'object');
    definition.tags.push('changed');
    const step = definition.steps[1];
    if (step.kind === 'http' && typeof step.http.body === 'object' && step.http.body !== null && !Array.isArray(step.http.body)) {
      step.http.body.count = 99;
    }
    expect(plain.tags).toEqual(['tls', 'security', 'quarterly']);
    expect(plain.steps[1].http?.body).toMatchObject({ count: 3 });
  });

  it('accepts anchors and a few aliases, a common way to share env blocks', () => {
    const definition = parseDefinition(
      `name: shared-env
steps:
  - name: one
    run: echo 1
    env: &common { REGION: eu-west-1, STAGE: prod }
  - name: two
    run: echo 2
    env: *common
  - name: three
    run: echo 3
    env: *common
`,
      'yaml',
    );
    expect(definition.steps.map((step) => step.env)).toEqual([
      { REGION: 'eu-west-1', STAGE: 'prod' },
      { REGION: 'eu-west-1', STAGE: 'prod' },
      { REGION: 'eu-west-1', STAGE: 'prod' },
    ]);
  });

  it('reads YAML 1.2, where yes/no/on/off are strings, not booleans', () => {
    expect(errorsOf('name: x\nsteps: [{ name: a, run: echo, continue_on_error: yes }]\n')).toEqual([
      { path: 'steps[0].continue_on_error', message: 'must be true or false', line: 2 },
    ]);
  });
});

describe('parseDefinition: errors point at the field and the YAML line', () => {
  it('names the path and line of a bad interpreter', () => {
    const text = `name: demo
steps:
  - name: first
    run: echo 1
  - name: second
    shell: zsh
    run: echo 2
`;
    expect(errorsOf(text)).toEqual([
      {
        path: 'steps[1].shell',
        message: 'must be bash, sh, python3, node or an absolute path to an interpreter, not "zsh"',
        line: 6,
      },
    ]);
  });

  it('names the line of an unknown key, with a suggestion for a typo', () => {
    const text = `name: demo
steps:
  - name: first
    run: echo 1
    timout: 5m
retires: 3
`;
    expect(errorsOf(text)).toEqual([
      { path: 'steps[0].timout', message: 'unknown field (did you mean "timeout"?)', line: 5 },
      { path: 'retires', message: 'unknown field (did you mean "retries"?)', line: 6 },
    ]);
  });

  it('points a nested block at the line of its key', () => {
    const text = `name: demo
parameters:
  environment:
    type: string
    enum: [staging, production]
    default: prod
steps:
  - name: first
    run: echo
`;
    expect(errorsOf(text)).toEqual([
      { path: 'parameters.environment.default', message: 'must be one of: "staging", "production"', line: 6 },
    ]);
  });

  it('points a missing field at its enclosing mapping', () => {
    const text = `name: demo
steps:
  - run: echo
`;
    expect(errorsOf(text)).toEqual([{ path: 'steps[0].name', message: 'is required', line: 3 }]);
  });

  it('names the line of a duplicate step name', () => {
    const text = `name: demo
steps:
  - name: build
    run: make
  - name: build
    run: make test
`;
    expect(errorsOf(text)).toEqual([{ path: 'steps[1].name', message: '"build" is already the name of steps[0]', line: 5 }]);
  });

  it('names the line of a condition error and its column inside the condition', () => {
    const text = `name: demo
parameters:
  environment: { type: string }
steps:
  - name: first
    run: echo
approval:
  when: "environment == 'production' and region == 'eu'"
`;
    expect(errorsOf(text)).toEqual([
      { path: 'approval.when', message: "unknown parameter 'region' at column 33", line: 8, column: 33 },
    ]);
  });

  it('reports every problem at once, in document order', () => {
    const text = `name: Bad_Name
parameters:
  count: { type: integer, default: 2.5 }
steps:
  - name: a
    run: echo
    shell: fish
  - name: b
    http: { method: FETCH, url: "ftp://example.com" }
notify: { on: [exploded], channels: [ops] }
`;
    expect(errorsOf(text).map((error) => [error.line, error.path])).toEqual([
      [1, 'name'],
      [3, 'parameters.count.default'],
      [7, 'steps[0].shell'],
      [9, 'steps[1].http.method'],
      [9, 'steps[1].http.url'],
      [10, 'notify.on[0]'],
    ]);
  });

  it('gives JSON input line numbers too', () => {
    const text = JSON.stringify({ name: 'demo', steps: [{ name: 'a', run: 'echo' }, { name: 'b', shell: 'zsh', run: 'echo' }] }, null, 2);
    const [error] = errorsOf(text, 'json');
    expect(error.path).toBe('steps[1].shell');
    expect(text.split('\n')[(error.line ?? 0) - 1]).toContain('"shell": "zsh"');
  });

  it('gives object input errors without line numbers', () => {
    expect(errorsOf({ name: 'demo', steps: [{ name: 'a', run: 'echo', shell: 'zsh' }] }, 'object')).toEqual([
      { path: 'steps[0].shell', message: expect.stringContaining('must be bash') },
    ]);
  });

  it('refuses a document that is not a mapping', () => {
    expect(errorsOf('- name: x\n')[0].message).toMatch(/must be a mapping/);
    expect(errorsOf('just text\n')[0].message).toMatch(/must be a mapping/);
    expect(errorsOf('')[0].message).toMatch(/must be a mapping/);
    expect(errorsOf('[]', 'json')[0].message).toMatch(/must be a mapping/);
  });

  it('throws a DefinitionError whose message summarises the problems', () => {
    expect(() => parseDefinition('name: x\n', 'yaml')).toThrow(/^Invalid procedure definition: steps: is required \(line 1\)$/);
  });
});

describe('parseDefinition: YAML and JSON hazards', () => {
  it('refuses duplicate keys in YAML with the line of the duplicate', () => {
    const text = `name: demo
steps:
  - name: a
    run: echo 1
    run: echo 2
`;
    expect(errorsOf(text)).toEqual([
      { path: '', message: 'duplicate key: each key may appear only once in a mapping', line: 5 },
    ]);
  });

  it('refuses duplicate keys in JSON, which JSON.parse would silently accept', () => {
    const text = '{\n  "name": "demo",\n  "name": "other",\n  "steps": [{"name": "a", "run": "echo"}]\n}';
    expect(errorsOf(text, 'json')).toEqual([
      { path: '', message: 'duplicate key: each key may appear only once in a mapping', line: 3 },
    ]);
  });

  it.each([
    ['a language-specific tag', 'name: !!js/function "function () { return process }"'],
    ['a custom tag', 'name: !shell demo'],
    ['a standard tag', 'name: !!str demo'],
    ['a binary tag', 'name: !!binary aGVsbG8='],
    ['a tag on a collection', 'tags: !!set { a, b }'],
  ])('refuses %s', (_what, line) => {
    const errors = errorsOf(`${line}\nsteps: [{ name: a, run: echo }]\n`);
    expect(errors[0]).toMatchObject({ path: '', line: 1 });
    expect(errors[0].message).toMatch(/YAML tags/);
  });

  it('refuses more than one document', () => {
    expect(errorsOf('name: a\n---\nname: b\n')[0]).toMatchObject({ path: '', line: 2 });
  });

  it('reports YAML syntax errors with their line', () => {
    const [error] = errorsOf('name: demo\nsteps:\n  - name: a\n    run: [unclosed\n');
    expect(error.message).toMatch(/^invalid YAML/);
    expect(error.line).toBeGreaterThanOrEqual(4);
  });

  it('reports invalid JSON', () => {
    const [error] = errorsOf('{"name": "demo",\n "steps": [}', 'json');
    expect(error.path).toBe('');
    expect(error.message).toMatch(/^invalid JSON/);
  });

  it('refuses a billion-laughs alias bomb quickly', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const started = performance.now();
    const errors = errorsOf(`${lines.join('\n')}\n`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.path === '' && /alias/.test(error.message))).toBe(true);
  });

  it('refuses an alias of a value that itself holds aliases, naming the line', () => {
    const text = `name: demo
steps: [{ name: a, run: echo }]
x1: &one { a: 1 }
x2: &two { b: *one }
x3: *two
`;
    expect(errorsOf(text)).toEqual([
      { path: '', message: 'the alias *two points at a value that itself contains aliases, which could expand without bound', line: 5 },
    ]);
  });

  it('refuses a wide alias fan-out even when each alias is small', () => {
    const aliases = Array.from({ length: 150 }, () => '*x').join(', ');
    const errors = errorsOf(`name: demo\nsteps: [{ name: a, run: echo }]\nanchor: &x [1, 2]\nlist: [${aliases}]\n`);
    expect(errors[0].message).toMatch(/alias/);
  });

  it('refuses __proto__ keys without polluting any prototype', () => {
    const errors = errorsOf('name: demo\n__proto__: { polluted: true }\nsteps: [{ name: a, run: echo }]\n');
    expect(errors).toEqual([{ path: '__proto__', message: 'the key __proto__ is not allowed', line: 2 }]);
    const jsonErrors = errorsOf('{"name": "demo", "steps": [{"name": "a", "http": {"method": "POST", "url": "https://x.test", "body": {"__proto__": {"polluted": 1}}}}]}', 'json');
    expect(jsonErrors[0].path).toBe('steps[0].http.body.__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses documents nested deeper than 32 levels', () => {
    const body = `${'['.repeat(40)}1${']'.repeat(40)}`;
    const errors = errorsOf(`{"name": "demo", "steps": [{"name": "a", "http": {"method": "POST", "url": "https://x.test", "body": ${body}}}]}`, 'json');
    expect(errors[0].message).toMatch(/nested more than 32 levels/);
    const deepYaml = `name: demo\nsteps: [{ name: a, run: echo }]\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    expect(errorsOf(deepYaml)[0]).toEqual({ path: '', message: 'is nested more than 64 levels deep', line: 3 });
  });

  it.each([
    ['flow sequences', `x: ${'['.repeat(70)}${']'.repeat(70)}`],
    ['flow mappings', `x: ${'{a: '.repeat(70)}1${'}'.repeat(70)}`],
    ['compact block sequences', `x: \n  ${'- '.repeat(70)}1`],
  ])('refuses deeply nested %s before building the document', (_kind, line) => {
    const errors = errorsOf(`name: demo\nsteps: [{ name: a, run: echo }]\n${line}\n`);
    expect(errors).toEqual([{ path: '', message: 'is nested more than 64 levels deep', line: expect.any(Number) }]);
  });

  it('survives extreme nesting in any syntax without overflowing the stack', () => {
    const depth = 100_000;
    for (const [text, type] of [
      [`x: ${'['.repeat(depth)}${']'.repeat(depth)}`, 'yaml'],
      [`x:\n  ${'- '.repeat(depth)}1`, 'yaml'],
      [`{"x": ${'['.repeat(depth)}${']'.repeat(depth)}}`, 'json'],
    ] as const) {
      const started = performance.now();
      expect(errorsOf(text, type)[0].message).toMatch(/nested more than (32|64) levels/);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });

  it('refuses complex mapping keys', () => {
    expect(errorsOf('name: demo\nsteps: [{ name: a, run: echo }]\n? [a, b]\n: c\n')[0]).toMatchObject({ message: 'mapping keys must be plain strings', line: 3 });
  });

  it('reads mappings with many keys in linear time', () => {
    const text = `name: demo\nsteps:\n  - name: a\n    run: echo\n    env:\n${Array.from({ length: 16_000 }, (_, index) => `      V${index}: x`).join('\n')}\n`;
    const started = performance.now();
    expect(errorsOf(text)).toEqual([{ path: 'steps[0].env', message: 'must have at most 100 variables', line: 5 }]);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('refuses non-finite numbers', () => {
    expect(errorsOf('name: demo\nsteps: [{ name: a, run: echo }]\ntoil_minutes: .inf\n')).toEqual([
      { path: 'toil_minutes', message: 'must be a finite number', line: 3 },
    ]);
  });
});

describe('parseDefinition: size limit', () => {
  const padding = (bytes: number): string => `# ${'x'.repeat(bytes)}\n`;

  it('accepts a definition right at 256 KiB', () => {
    const head = MINIMAL_YAML;
    const text = head + padding(DEFINITION_MAX_BYTES - Buffer.byteLength(head) - 3);
    expect(Buffer.byteLength(text)).toBe(DEFINITION_MAX_BYTES);
    expect(parseDefinition(text, 'yaml').name).toBe('hello');
  });

  it('refuses YAML over 256 KiB before reading it', () => {
    const text = MINIMAL_YAML + padding(DEFINITION_MAX_BYTES);
    expect(errorsOf(text)).toEqual([{ path: '', message: expect.stringMatching(/at most 256 KiB/) }]);
  });

  it('counts bytes, not characters', () => {
    const text = `${MINIMAL_YAML}# ${'é'.repeat(DEFINITION_MAX_BYTES / 2)}\n`;
    expect(text.length).toBeLessThan(DEFINITION_MAX_BYTES);
    expect(errorsOf(text)[0].message).toMatch(/at most 256 KiB/);
  });

  it('refuses oversized JSON and objects too', () => {
    const big = { name: 'demo', description: 'x'.repeat(DEFINITION_MAX_BYTES), steps: [{ name: 'a', run: 'echo' }] };
    expect(errorsOf(JSON.stringify(big), 'json')[0].message).toMatch(/at most 256 KiB/);
    expect(errorsOf(big, 'object')[0].message).toMatch(/at most 256 KiB/);
  });

  it('bounds the work on an object built from shared references', () => {
    let level: unknown = 'x';
    for (let depth = 0; depth < 25; depth += 1) level = [level, level, level, level];
    const started = performance.now();
    const errors = errorsOf({ name: 'demo', steps: [{ name: 'a', run: 'echo' }], description: level }, 'object');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(errors[0].message).toMatch(/more than 100000 values/);
  });
});

describe('parseDefinition: object input', () => {
  it('refuses values that are not JSON data', () => {
    class Settings {
      timeout = 5;
    }
    expect(errorsOf({ name: 'demo', steps: [{ name: 'a', run: 'echo' }], approval: new Settings() }, 'object')[0]).toEqual({
      path: 'approval',
      message: 'must be plain data (a mapping), not a class instance',
    });
    expect(errorsOf({ name: 'demo', steps: [{ name: 'a', run: () => 'echo' }] }, 'object')[0].message).toBe('function is not a JSON value');
    expect(errorsOf({ name: 'demo', steps: [], retries: 1n }, 'object')[0].message).toBe('bigint is not a JSON value');
  });

  it('refuses cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'demo', steps: [{ name: 'a', run: 'echo' }] };
    cyclic.self = cyclic;
    expect(errorsOf(cyclic, 'object')[0].message).toMatch(/nested more than 32 levels/);
  });

  it('treats undefined fields as absent', () => {
    expect(parseDefinition({ name: 'demo', steps: [{ name: 'a', run: 'echo' }], concurrency: undefined }, 'object')).not.toHaveProperty('concurrency');
  });

  it('refuses text passed as an object and objects passed as text', () => {
    expect(errorsOf('name: x', 'object')[0].message).toBe('a procedure definition must be an object');
    expect(errorsOf({ name: 'x' }, 'yaml')[0].message).toBe('a YAML definition must be text');
    expect(errorsOf('name: x', 'toml' as DefinitionContentType)[0].message).toBe('unsupported content type "toml"');
  });
});
