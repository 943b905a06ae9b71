import { describe, expect, it } from 'vitest';
import { DefinitionError, type DefinitionErrorDetail } from './definition-error';
import { parseDefinition } from './definition-parser';
import type { ProcedureDefinition } from './procedure-definition';
import { procedureDefinitionSchema } from './procedure-definition.schema';

type Plain = Record<string, unknown>;

function definitionWith(fields: Plain): Plain {
  return { name: 'demo', steps: [{ name: 'only', run: 'echo' }], ...fields };
}

function stepsWith(...steps: Plain[]): Plain {
  return definitionWith({ steps });
}

function parameter(spec: Plain): Plain {
  return definitionWith({ parameters: { p: spec } });
}

function parse(fields: Plain): ProcedureDefinition {
  return parseDefinition(fields, 'object');
}

function errorsOf(fields: Plain): DefinitionErrorDetail[] {
  try {
    parse(fields);
  } catch (error) {
    if (error instanceof DefinitionError) return error.errors;
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

function expectError(fields: Plain, path: string, message: string | RegExp): void {
  const errors = errorsOf(fields);
  expect(errors, JSON.stringify(errors)).toContainEqual(expect.objectContaining({ path, message: typeof message === 'string' ? message : expect.stringMatching(message) }));
}

describe('procedure fields', () => {
  it.each(['a', 'restart-service', '0day', 'a'.repeat(63)])('accepts the name %j', (name) => {
    expect(parse(definitionWith({ name })).name).toBe(name);
  });

  it.each(['', 'Restart', '-lead', 'has space', 'under_score', 'a'.repeat(64), 'dot.name'])('refuses the name %j', (name) => {
    expectError(definitionWith({ name }), 'name', /must be a slug/);
  });

  it('requires a name and steps', () => {
    expect(errorsOf({})).toEqual([
      { path: 'name', message: 'is required' },
      { path: 'steps', message: 'is required' },
    ]);
  });

  it('refuses unknown top-level keys, naming each', () => {
    expect(errorsOf(definitionWith({ timout: '5m', owner: 'me' }))).toEqual([
      { path: 'timout', message: 'unknown field (did you mean "timeout"?)' },
      { path: 'owner', message: 'unknown field' },
    ]);
  });

  it('refuses unknown keys at every level', () => {
    expectError(stepsWith({ name: 'a', run: 'echo', retries: 2 }), 'steps[0].retries', 'unknown field');
    expectError(stepsWith({ name: 'a', http: { method: 'GET', url: 'https://x.test', verb: 'GET' } }), 'steps[0].http.verb', 'unknown field');
    expectError(definitionWith({ approval: { approver: 1 } }), 'approval.approver', 'unknown field (did you mean "approvers"?)');
    expectError(definitionWith({ notify: { on: ['failed'], channels: ['x'], to: 'me' } }), 'notify.to', 'unknown field');
    expectError(parameter({ type: 'string', requried: true }), 'parameters.p.requried', 'unknown field (did you mean "required"?)');
  });

  it('accepts a multi-line description and defaults it to empty', () => {
    expect(parse(definitionWith({ description: 'line 1\nline 2' })).description).toBe('line 1\nline 2');
    expect(parse(definitionWith({})).description).toBe('');
  });

  it('needs between 1 and 100 steps', () => {
    expectError(definitionWith({ steps: [] }), 'steps', 'must have at least one entry');
    const many = Array.from({ length: 101 }, (_, index) => ({ name: `s${index}`, run: 'echo' }));
    expectError(definitionWith({ steps: many }), 'steps', 'must have at most 100 entries');
    expect(parse(definitionWith({ steps: many.slice(0, 100) })).steps).toHaveLength(100);
  });

  it('refuses duplicate step names, naming the first use', () => {
    expect(errorsOf(stepsWith({ name: 'a', run: '1' }, { name: 'b', run: '2' }, { name: 'a', run: '3' }))).toEqual([
      { path: 'steps[2].name', message: '"a" is already the name of steps[0]' },
    ]);
  });

  it.each([
    ['90s', 90],
    ['10m', 600],
    ['1h30m', 5_400],
    [120, 120],
    ['24h', 86_400],
    ['1d', 86_400],
  ])('reads the timeout %j as %i seconds', (timeout, seconds) => {
    expect(parse(definitionWith({ timeout })).timeout).toBe(seconds);
  });

  it('defaults the timeout to 1h and caps it at 24h', () => {
    expect(parse(definitionWith({})).timeout).toBe(3_600);
    expectError(definitionWith({ timeout: '25h' }), 'timeout', 'must be between 1s and 1d');
    expectError(definitionWith({ timeout: 0 }), 'timeout', 'must be between 1s and 1d');
    expectError(definitionWith({ timeout: 'soon' }), 'timeout', /is not a duration/);
    expectError(definitionWith({ timeout: true }), 'timeout', /must be a duration/);
  });

  it('accepts 0 to 10 retries with a retry delay defaulting to 5s', () => {
    expect(parse(definitionWith({ retries: 10, retry_delay: '30s' }))).toMatchObject({ retries: 10, retry_delay: 30 });
    expect(parse(definitionWith({})).retry_delay).toBe(5);
    expect(parse(definitionWith({ retry_delay: 0 })).retry_delay).toBe(0);
    expectError(definitionWith({ retries: 11 }), 'retries', 'must be at most 10');
    expectError(definitionWith({ retries: -1 }), 'retries', 'must be at least 0');
    expectError(definitionWith({ retries: 1.5 }), 'retries', 'must be a whole number');
  });

  it('leaves concurrency unlimited unless a positive whole number is given', () => {
    expect(parse(definitionWith({}))).not.toHaveProperty('concurrency');
    expect(parse(definitionWith({ concurrency: 1 })).concurrency).toBe(1);
    expectError(definitionWith({ concurrency: 0 }), 'concurrency', 'must be at least 1');
    expectError(definitionWith({ concurrency: '2' }), 'concurrency', 'must be a number');
  });

  it('defaults the worker group to default and requires a slug', () => {
    expect(parse(definitionWith({})).worker_group).toBe('default');
    expect(parse(definitionWith({ worker_group: 'dmz' })).worker_group).toBe('dmz');
    expectError(definitionWith({ worker_group: 'DMZ workers' }), 'worker_group', /must be a slug/);
  });

  it('bounds toil minutes to 0–100000', () => {
    expect(parse(definitionWith({ toil_minutes: 100_000 })).toil_minutes).toBe(100_000);
    expectError(definitionWith({ toil_minutes: 100_001 }), 'toil_minutes', 'must be at most 100000');
    expectError(definitionWith({ toil_minutes: -5 }), 'toil_minutes', 'must be at least 0');
  });

  it('accepts distinct, non-empty tags', () => {
    expect(parse(definitionWith({ tags: ['db', 'prod'] })).tags).toEqual(['db', 'prod']);
    expectError(definitionWith({ tags: ['db', 'db'] }), 'tags[1]', '"db" is listed twice');
    expectError(definitionWith({ tags: [''] }), 'tags[0]', 'must not be empty');
    expectError(definitionWith({ tags: 'db' }), 'tags', 'must be a list');
  });

  it('refuses more than 100 parameters', () => {
    const parameters = Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`p${index}`, { type: 'string' }]));
    expectError(definitionWith({ parameters }), 'parameters', 'must have at most 100 parameters');
  });

  it('refuses invalid parameter names', () => {
    expectError(definitionWith({ parameters: { 'Bad-Name': { type: 'string' } } }), 'parameters.Bad-Name', /^key must be a parameter name/);
    expectError(definitionWith({ parameters: { '9lives': { type: 'string' } } }), 'parameters["9lives"]', /^key must be a parameter name/);
  });
});

describe('steps', () => {
  it('defaults the shell to bash', () => {
    expect(parse(stepsWith({ name: 'a', run: 'echo' })).steps[0]).toEqual({
      kind: 'run',
      name: 'a',
      run: 'echo',
      shell: 'bash',
      continue_on_error: false,
      env: {},
    });
  });

  it.each(['bash', 'sh', 'python3', 'node', '/usr/bin/env', '/opt/ruby-3.3/bin/ruby', '/usr/local/bin/pwsh'])('accepts the shell %j', (shell) => {
    expect(parse(stepsWith({ name: 'a', run: 'x', shell })).steps[0]).toMatchObject({ shell });
  });

  it.each(['zsh', 'python', 'bin/bash', '/usr/bin/env python3', '/opt/../bin/sh', '/', 'bash;rm', ''])('refuses the shell %j', (shell) => {
    expectError(stepsWith({ name: 'a', run: 'x', shell }), 'steps[0].shell', /must be bash, sh, python3, node or an absolute path/);
  });

  it('needs exactly one of run, http or procedure', () => {
    expectError(stepsWith({ name: 'a' }), 'steps[0]', 'a step needs one of run, http or procedure');
    expectError(
      stepsWith({ name: 'a', run: 'echo', procedure: 'other' }),
      'steps[0].procedure',
      'a step has exactly one of run, http or procedure, and this one has run and procedure',
    );
  });

  it('refuses shell on a non-run step and params on a non-procedure step', () => {
    expectError(stepsWith({ name: 'a', procedure: 'other', shell: 'bash' }), 'steps[0].shell', 'applies only to run steps');
    expectError(stepsWith({ name: 'a', run: 'echo', params: { x: 1 } }), 'steps[0].params', 'applies only to procedure steps');
  });

  it('refuses an empty script', () => {
    expectError(stepsWith({ name: 'a', run: '  \n ' }), 'steps[0].run', 'must not be empty');
  });

  it('accepts a step timeout no longer than the procedure timeout', () => {
    expect(parse(definitionWith({ timeout: '10m', steps: [{ name: 'a', run: 'x', timeout: '10m' }] })).steps[0].timeout).toBe(600);
    expectError(definitionWith({ timeout: '10m', steps: [{ name: 'a', run: 'x', timeout: '11m' }] }), 'steps[0].timeout', "must not exceed the procedure's timeout");
  });

  it('reads continue_on_error as a boolean', () => {
    expect(parse(stepsWith({ name: 'a', run: 'x', continue_on_error: true })).steps[0].continue_on_error).toBe(true);
    expectError(stepsWith({ name: 'a', run: 'x', continue_on_error: 'yes' }), 'steps[0].continue_on_error', 'must be true or false');
  });

  describe('env', () => {
    it('accepts static string variables', () => {
      expect(parse(stepsWith({ name: 'a', run: 'x', env: { REGION: 'eu', _private: '1', lower_case: 'ok' } })).steps[0].env).toEqual({
        REGION: 'eu',
        _private: '1',
        lower_case: 'ok',
      });
    });

    it.each(['PARAM_SERVICE', 'param_service', 'SWITCHBOARD_OUTPUT', 'Switchboard_x', 'STEP_RESTART_AT'])('refuses the reserved name %j', (name) => {
      expectError(stepsWith({ name: 'a', run: 'x', env: { [name]: 'v' } }), `steps[0].env.${name}`, /^key must not start with PARAM_, STEP_, SWITCHBOARD_/);
    });

    it.each(['1ABC', 'WITH-DASH', 'WITH SPACE', 'A=B'])('refuses the malformed name %j', (name) => {
      const errors = errorsOf(stepsWith({ name: 'a', run: 'x', env: { [name]: 'v' } }));
      expect(errors[0].message).toMatch(/^key must be an environment variable name/);
    });

    it('refuses numbers and booleans, which YAML would silently reformat', () => {
      expectError(stepsWith({ name: 'a', run: 'x', env: { VERSION: 1.1 } }), 'steps[0].env.VERSION', 'must be a string: quote numbers and booleans, e.g. "8080"');
      expectError(stepsWith({ name: 'a', run: 'x', env: { DEBUG: true } }), 'steps[0].env.DEBUG', /must be a string/);
    });

    it('refuses NUL characters, which no environment can hold', () => {
      expectError(stepsWith({ name: 'a', run: 'x', env: { A: 'a\0b' } }), 'steps[0].env.A', 'must not contain a NUL character');
    });
  });

  describe('http', () => {
    const http = (request: Plain, extra: Plain = {}): Plain => stepsWith({ name: 'call', http: request, ...extra });

    it('normalizes the method to upper case and a single expected status to a list', () => {
      const step = parse(http({ method: 'post', url: 'https://api.example.com/x', expect_status: 201, body: 'raw' })).steps[0];
      expect(step).toEqual({
        kind: 'http',
        name: 'call',
        continue_on_error: false,
        env: {},
        http: { method: 'POST', url: 'https://api.example.com/x', expect_status: [201], body: 'raw' },
      });
    });

    it('accepts headers, a structured body and a timeout', () => {
      const step = parse(
        http({
          method: 'PUT',
          url: 'http://10.0.0.1:8080/v1/things?x=1',
          headers: { Authorization: 'Bearer static', 'X-Request-Id': 'abc' },
          body: { list: [1, 'a', null, { b: false }] },
          timeout: '45s',
          expect_status: [200, 204],
        }),
      ).steps[0];
      expect(step.kind === 'http' && step.http).toMatchObject({ timeout: 45, body: { list: [1, 'a', null, { b: false }] } });
    });

    it('requires a method and a URL', () => {
      expectError(http({ url: 'https://x.test' }), 'steps[0].http.method', 'is required');
      expectError(http({ method: 'GET' }), 'steps[0].http.url', 'is required');
    });

    it.each(['FETCH', 'CONNECT', 'TRACE'])('refuses the method %j', (method) => {
      expectError(http({ method, url: 'https://x.test' }), 'steps[0].http.method', 'must be one of: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
    });

    it.each(['ftp://x.test/file', 'file:///etc/passwd', '/relative/path', 'x.test', 'javascript:alert(1)', 'https://'])('refuses the URL %j', (url) => {
      expectError(http({ method: 'GET', url }), 'steps[0].http.url', 'must be an absolute http:// or https:// URL');
    });

    it('refuses header names that are not HTTP tokens and values with line breaks', () => {
      expectError(http({ method: 'GET', url: 'https://x.test', headers: { 'Bad Header': 'x' } }), 'steps[0].http.headers["Bad Header"]', 'key must be a valid HTTP header name');
      expectError(http({ method: 'GET', url: 'https://x.test', headers: { 'X-A': 'a\r\nX-Injected: 1' } }), 'steps[0].http.headers.X-A', 'must not contain line breaks');
    });

    it('refuses a body on GET and HEAD', () => {
      expectError(http({ method: 'GET', url: 'https://x.test', body: 'x' }), 'steps[0].http.body', 'a GET request cannot have a body');
      expectError(http({ method: 'HEAD', url: 'https://x.test', body: {} }), 'steps[0].http.body', 'a HEAD request cannot have a body');
    });

    it('refuses status codes outside 100–599 and repeated ones', () => {
      expectError(http({ method: 'GET', url: 'https://x.test', expect_status: 700 }), 'steps[0].http.expect_status', 'must be at most 599');
      expectError(http({ method: 'GET', url: 'https://x.test', expect_status: [200, 99] }), 'steps[0].http.expect_status[1]', 'must be at least 100');
      expectError(http({ method: 'GET', url: 'https://x.test', expect_status: '200' }), 'steps[0].http.expect_status', /HTTP status code/);
      expectError(http({ method: 'GET', url: 'https://x.test', expect_status: [200, 200] }), 'steps[0].http.expect_status[1]', '200 is listed twice');
    });

    it("refuses a request timeout longer than the step's", () => {
      expectError(
        http({ method: 'GET', url: 'https://x.test', timeout: '2m' }, { timeout: '1m' }),
        'steps[0].http.timeout',
        "must not exceed the step's timeout",
      );
    });
  });

  describe('procedure calls', () => {
    const call = (step: Plain, parameters: Plain = { environment: { type: 'string' } }): Plain =>
      definitionWith({ parameters, steps: [{ name: 'call', ...step }] });

    it('passes static values and references to own parameters', () => {
      const step = parse(call({ procedure: 'restart-service', params: { environment: { param: 'environment' }, force: true, hosts: ['a', 'b'], n: 2 } })).steps[0];
      expect(step).toEqual({
        kind: 'procedure',
        name: 'call',
        procedure: 'restart-service',
        params: { environment: { param: 'environment' }, force: true, hosts: ['a', 'b'], n: 2 },
        continue_on_error: false,
        env: {},
      });
    });

    it('defaults params to none', () => {
      expect(parse(call({ procedure: 'other' })).steps[0]).toMatchObject({ params: {} });
    });

    it('refuses references to parameters this procedure does not have', () => {
      expectError(call({ procedure: 'other', params: { environment: { param: 'region' } } }), 'steps[0].params.environment.param', '"region" is not a parameter of this procedure');
    });

    it('refuses values that are neither data nor a reference', () => {
      expectError(call({ procedure: 'other', params: { x: { nested: { deep: 1 } } } }), 'steps[0].params.x', /must be a string, number, true\/false, a list of them/);
      expectError(call({ procedure: 'other', params: { x: null } }), 'steps[0].params.x', /must be a string, number/);
    });

    it('refuses a call of itself', () => {
      expectError(call({ procedure: 'demo' }), 'steps[0].procedure', 'a procedure cannot call itself');
    });

    it('requires the called name to be a slug', () => {
      expectError(call({ procedure: 'Other Procedure' }), 'steps[0].procedure', /must be a slug/);
    });
  });
});

describe('approval', () => {
  it('defaults approvers to 1 and accepts 1–10', () => {
    expect(parse(definitionWith({ approval: {} })).approval).toEqual({ approvers: 1 });
    expect(parse(definitionWith({ approval: { approvers: 10 } })).approval?.approvers).toBe(10);
    expectError(definitionWith({ approval: { approvers: 0 } }), 'approval.approvers', 'must be at least 1');
    expectError(definitionWith({ approval: { approvers: 11 } }), 'approval.approvers', 'must be at most 10');
  });

  it('restricts approvers to roles and teams when given', () => {
    expect(parse(definitionWith({ approval: { from: { roles: ['owner'], teams: ['sre'] } } })).approval?.from).toEqual({ roles: ['owner'], teams: ['sre'] });
    expectError(definitionWith({ approval: { from: {} } }), 'approval.from', 'must name roles, teams or both');
    expectError(definitionWith({ approval: { from: { roles: [] } } }), 'approval.from.roles', 'must have at least one entry');
  });

  it('reads expires_after as a duration between 1m and 30d', () => {
    expect(parse(definitionWith({ approval: { expires_after: '7d' } })).approval?.expires_after).toBe(604_800);
    expectError(definitionWith({ approval: { expires_after: '31d' } }), 'approval.expires_after', 'must be between 1m and 30d');
  });

  it('validates the condition against the parameters when the definition is saved', () => {
    const parameters = { environment: { type: 'string', enum: ['staging', 'production'] } };
    expect(parse(definitionWith({ parameters, approval: { when: "environment == 'production'" } })).approval?.when).toBe("environment == 'production'");
    expectError(definitionWith({ parameters, approval: { when: "env == 'production'" } }), 'approval.when', "unknown parameter 'env' at column 1");
    expectError(definitionWith({ parameters, approval: { when: "environment = 'production'" } }), 'approval.when', "use '==' to compare at column 13");
    expectError(definitionWith({ parameters, approval: { when: '' } }), 'approval.when', 'must not be empty');
  });

  it('refuses a condition on a secret parameter, which would let requesters probe its value', () => {
    const parameters = { token: { type: 'string', secret: true }, environment: { type: 'string' } };
    expectError(definitionWith({ parameters, approval: { when: "environment == 'prod' or token == 'hunter2'" } }), 'approval.when', "cannot use the secret parameter 'token'");
  });

  it('checks fields against each other only once each step is valid, without crashing on a broken one', () => {
    expect(errorsOf(definitionWith({ steps: [{ kind: 'http', name: 'a', run: 'echo' }, { name: 'a', run: 'echo' }] }))).toEqual([
      { path: 'steps[0].kind', message: 'says http but the step has run' },
    ]);
  });

  it("refuses the classic injection attempt in approval.when at save time", () => {
    const errors = errorsOf(definitionWith({ approval: { when: "constructor.constructor('return process')()" } }));
    expect(errors).toEqual([{ path: 'approval.when', message: "unknown parameter 'constructor' at column 1", column: 1 }]);
  });
});

describe('notify', () => {
  it('accepts execution events and channel names', () => {
    const notify = { on: ['started', 'succeeded', 'failed', 'timed_out', 'canceled', 'worker_lost', 'approval_requested', 'approval_decided'], channels: ['ops-mail'] };
    expect(parse(definitionWith({ notify })).notify).toEqual(notify);
  });

  it('refuses unknown events, repeats and empty lists', () => {
    expectError(definitionWith({ notify: { on: ['exploded'], channels: ['x'] } }), 'notify.on[0]', /^must be one of: started, succeeded/);
    expectError(definitionWith({ notify: { on: ['failed', 'failed'], channels: ['x'] } }), 'notify.on[1]', '"failed" is listed twice');
    expectError(definitionWith({ notify: { on: [], channels: ['x'] } }), 'notify.on', 'must have at least one entry');
    expectError(definitionWith({ notify: { on: ['failed'] } }), 'notify.channels', 'is required');
  });
});

describe('parameters', () => {
  it('requires a known type', () => {
    expectError(parameter({}), 'parameters.p.type', 'is required: one of string, number, integer, boolean, array');
    expectError(parameter({ type: 'text' }), 'parameters.p.type', 'must be one of: string, number, integer, boolean, array');
    expectError(parameter({ type: 'multiselect' }), 'parameters.p.type', /must be one of/);
  });

  it('fills required, secret and multiline for strings', () => {
    expect(parse(parameter({ type: 'string' })).parameters.p).toEqual({ type: 'string', required: false, secret: false, multiline: false });
  });

  it('keeps label, description and form hints', () => {
    expect(parse(parameter({ type: 'string', label: 'Ticket', description: 'Jira id', multiline: true, required: true })).parameters.p).toEqual({
      type: 'string',
      label: 'Ticket',
      description: 'Jira id',
      required: true,
      secret: false,
      multiline: true,
    });
  });

  describe('select (enum)', () => {
    it('accepts a default among the choices', () => {
      expect(parse(parameter({ type: 'string', enum: ['a', 'b'], default: 'b' })).parameters.p).toMatchObject({ default: 'b' });
    });

    it('refuses a default that is not one of the choices', () => {
      expectError(parameter({ type: 'string', enum: ['staging', 'production'], default: 'prod' }), 'parameters.p.default', 'must be one of: "staging", "production"');
      expectError(parameter({ type: 'integer', enum: [1, 3], default: 2 }), 'parameters.p.default', 'must be one of: 1, 3');
    });

    it('refuses empty, repeated and mistyped choices', () => {
      expectError(parameter({ type: 'string', enum: [] }), 'parameters.p.enum', 'must have at least one entry');
      expectError(parameter({ type: 'string', enum: ['a', 'a'] }), 'parameters.p.enum[1]', '"a" is listed twice');
      expectError(parameter({ type: 'string', enum: ['a', 1] }), 'parameters.p.enum[1]', 'must be a string');
      expectError(parameter({ type: 'integer', enum: [1, 1.5] }), 'parameters.p.enum[1]', '1.5 must be a whole number');
    });

    it('refuses choices that break the other rules', () => {
      expectError(parameter({ type: 'string', enum: ['OPS-1', 'bad'], pattern: '^OPS-' }), 'parameters.p.enum[1]', '"bad" must match the pattern ^OPS-');
      expectError(parameter({ type: 'number', enum: [1, 99], max: 10 }), 'parameters.p.enum[1]', '99 must be at most 10');
      expectError(parameter({ type: 'string', enum: ['ab', 'abcdef'], max_length: 3 }), 'parameters.p.enum[1]', '"abcdef" must be at most 3 characters');
    });

    it('refuses an enum on a boolean', () => {
      expectError(parameter({ type: 'boolean', enum: [true] }), 'parameters.p.enum', 'applies to string and number and integer parameters, not boolean');
    });
  });

  describe('defaults', () => {
    it.each([
      [{ type: 'string', default: 5 }, 'must be a string'],
      [{ type: 'number', default: '5' }, 'must be a number'],
      [{ type: 'integer', default: 2.5 }, 'must be a whole number'],
      [{ type: 'boolean', default: 'true' }, 'must be true or false'],
      [{ type: 'string', pattern: '^[A-Z]+$', default: 'abc' }, 'must match the pattern ^[A-Z]+$'],
      [{ type: 'string', min_length: 3, default: 'ab' }, 'must be at least 3 characters'],
      [{ type: 'string', max_length: 2, default: 'abc' }, 'must be at most 2 characters'],
      [{ type: 'number', min: 1, default: 0 }, 'must be at least 1'],
      [{ type: 'number', max: 1, default: 2 }, 'must be at most 1'],
    ])('refuses the default in %j', (spec, message) => {
      expectError(parameter(spec), 'parameters.p.default', message);
    });

    it('counts characters, not UTF-16 units, as the run validator does', () => {
      expect(parse(parameter({ type: 'string', max_length: 2, default: '🎉🎉' })).parameters.p).toMatchObject({ default: '🎉🎉' });
    });

    it('refuses a default for a secret', () => {
      expectError(parameter({ type: 'string', secret: true, default: 'hunter2' }), 'parameters.p.default', 'a secret parameter cannot have a default');
    });
  });

  describe('strings', () => {
    it('requires the pattern to compile as a JavaScript regular expression', () => {
      expectError(parameter({ type: 'string', pattern: '([a-z]' }), 'parameters.p.pattern', /^is not a valid regular expression/);
      expectError(parameter({ type: 'string', pattern: '\\p{Nope}' }), 'parameters.p.pattern', /^is not a valid regular expression/);
      expect(parse(parameter({ type: 'string', pattern: '^\\p{Lu}+$' })).parameters.p).toMatchObject({ pattern: '^\\p{Lu}+$' });
    });

    it('caps the pattern at 500 characters', () => {
      expectError(parameter({ type: 'string', pattern: 'a'.repeat(501) }), 'parameters.p.pattern', 'must be at most 500 characters');
    });

    it('requires min_length ≤ max_length and non-negative whole numbers', () => {
      expectError(parameter({ type: 'string', min_length: 5, max_length: 2 }), 'parameters.p.max_length', 'must not be less than min_length (5)');
      expectError(parameter({ type: 'string', min_length: -1 }), 'parameters.p.min_length', 'must be at least 0');
      expectError(parameter({ type: 'string', max_length: 2.5 }), 'parameters.p.max_length', 'must be a whole number');
    });

    it('refuses an enum on a secret', () => {
      expectError(parameter({ type: 'string', secret: true, enum: ['a'] }), 'parameters.p.enum', /a secret parameter cannot have an enum/);
    });

    it('allows a multi-line secret such as a private key', () => {
      expect(parse(parameter({ type: 'string', secret: true, multiline: true })).parameters.p).toMatchObject({ secret: true, multiline: true });
    });
  });

  describe('fields of other types', () => {
    it.each([
      [{ type: 'string', min: 1 }, 'min', 'applies to number and integer parameters, not string'],
      [{ type: 'integer', secret: true }, 'secret', 'applies to string parameters, not integer'],
      [{ type: 'boolean', multiline: true }, 'multiline', 'applies to string parameters, not boolean'],
      [{ type: 'number', pattern: 'x' }, 'pattern', 'applies to string parameters, not number'],
      [{ type: 'string', items: { type: 'string' } }, 'items', 'applies to array parameters, not string'],
      [{ type: 'array', min_length: 1 }, 'min_length', 'applies to string parameters, not array'],
      [{ type: 'array', enum: ['a'] }, 'enum', 'for a multi-select, put enum under items: { items: { type: string, enum: [...] } }'],
    ])('explains %j', (spec, field, message) => {
      expectError(parameter(spec), `parameters.p.${field}`, message);
    });
  });

  describe('numbers', () => {
    it('accepts bounds and requires min ≤ max', () => {
      expect(parse(parameter({ type: 'number', min: -1.5, max: 1.5, default: 0 })).parameters.p).toEqual({ type: 'number', required: false, min: -1.5, max: 1.5, default: 0 });
      expectError(parameter({ type: 'integer', min: 5, max: 1 }), 'parameters.p.max', 'must not be less than min (5)');
    });
  });

  describe('arrays and multi-select', () => {
    it('defaults items to strings', () => {
      expect(parse(parameter({ type: 'array' })).parameters.p).toEqual({ type: 'array', required: false, items: { type: 'string' } });
    });

    it('reads a multi-select as an array with items.enum', () => {
      expect(parse(parameter({ type: 'array', items: { type: 'string', enum: ['eu', 'us'] }, default: ['eu'], min_items: 1 })).parameters.p).toEqual({
        type: 'array',
        required: false,
        items: { type: 'string', enum: ['eu', 'us'] },
        default: ['eu'],
        min_items: 1,
      });
    });

    it('refuses boolean and nested items', () => {
      expectError(parameter({ type: 'array', items: { type: 'boolean' } }), 'parameters.p.items.type', 'must be one of: string, number, integer');
      expectError(parameter({ type: 'array', items: { type: 'array' } }), 'parameters.p.items.type', /must be one of/);
    });

    it('checks item rules', () => {
      expectError(parameter({ type: 'array', items: { type: 'string', pattern: '(' } }), 'parameters.p.items.pattern', /not a valid regular expression/);
      expectError(parameter({ type: 'array', items: { type: 'integer', min: 3, max: 1 } }), 'parameters.p.items.max', 'must not be less than min (3)');
      expectError(parameter({ type: 'array', items: { type: 'string', enum: ['a', 'b'], min_length: 2 } }), 'parameters.p.items.enum[0]', '"a" must be at least 2 characters');
    });

    it('checks each default entry, repeats and the count', () => {
      const multi = { type: 'array', items: { type: 'string', enum: ['eu', 'us'] } };
      expectError(parameter({ ...multi, default: ['eu', 'ap'] }), 'parameters.p.default[1]', 'must be one of: "eu", "us"');
      expectError(parameter({ ...multi, default: ['eu', 'eu'] }), 'parameters.p.default[1]', '"eu" is listed twice');
      expectError(parameter({ ...multi, default: [], min_items: 1 }), 'parameters.p.default', 'must have at least 1 items');
      expectError(parameter({ type: 'array', default: ['a', 'b'], max_items: 1 }), 'parameters.p.default', 'must have at most 1 items');
      expectError(parameter({ type: 'array', items: { type: 'integer' }, default: [1, 'two'] }), 'parameters.p.default[1]', 'must be a number');
      expectError(parameter({ type: 'array', default: 'eu' }), 'parameters.p.default', 'must be a list');
    });

    it('requires min_items ≤ max_items and no more than the choices', () => {
      expectError(parameter({ type: 'array', min_items: 3, max_items: 2 }), 'parameters.p.max_items', 'must not be less than min_items (3)');
      expectError(parameter({ type: 'array', items: { type: 'string', enum: ['a', 'b'] }, min_items: 3 }), 'parameters.p.min_items', 'cannot exceed the 2 choices in items.enum');
    });
  });
});

describe('procedureDefinitionSchema', () => {
  it('can be used on its own, for example by the web editor', () => {
    const result = procedureDefinitionSchema.safeParse({ name: 'x', steps: [{ name: 'a', run: 'echo' }] });
    expect(result.success).toBe(true);
  });
});
