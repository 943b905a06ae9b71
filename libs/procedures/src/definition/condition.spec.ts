import { describe, expect, it } from 'vitest';
import { compileCondition, CONDITION_MAX_DEPTH, ConditionEvaluationError } from './condition';
import { DefinitionError, type DefinitionErrorDetail } from './definition-error';

const NAMES = ['environment', 'env', 'dry_run', 'replicas', 'ratio', 'regions', 'service', 'params', 'constructor_name'];

function evaluate(text: string, params: Record<string, unknown>): boolean {
  return compileCondition(text, NAMES).evaluate(params);
}

function compileError(text: string, names: readonly string[] = NAMES): DefinitionErrorDetail {
  try {
    compileCondition(text, names);
  } catch (error) {
    if (error instanceof DefinitionError) return error.errors[0];
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe('compileCondition: evaluation of typical approval rules', () => {
  it('compares a parameter with a string', () => {
    expect(evaluate("environment == 'production'", { environment: 'production' })).toBe(true);
    expect(evaluate("environment == 'production'", { environment: 'staging' })).toBe(false);
    expect(evaluate('environment != "production"', { environment: 'staging' })).toBe(true);
  });

  it('combines membership with and/not', () => {
    const condition = compileCondition("env in ['prod','dr'] and not dry_run", NAMES);
    expect(condition.evaluate({ env: 'prod', dry_run: false })).toBe(true);
    expect(condition.evaluate({ env: 'dr', dry_run: true })).toBe(false);
    expect(condition.evaluate({ env: 'staging', dry_run: false })).toBe(false);
  });

  it('treats an absent optional boolean as false', () => {
    expect(evaluate("env in ['prod'] and not dry_run", { env: 'prod' })).toBe(true);
    expect(evaluate('dry_run', {})).toBe(false);
  });

  it('supports not in', () => {
    expect(evaluate("env not in ['dev', 'test']", { env: 'prod' })).toBe(true);
    expect(evaluate("env not in ['dev', 'test']", { env: 'dev' })).toBe(false);
  });

  it('compares numbers, including decimals and negatives', () => {
    expect(evaluate('replicas > 10', { replicas: 11 })).toBe(true);
    expect(evaluate('replicas > 10', { replicas: 10 })).toBe(false);
    expect(evaluate('replicas >= 10', { replicas: 10 })).toBe(true);
    expect(evaluate('replicas < 3', { replicas: 2 })).toBe(true);
    expect(evaluate('replicas <= 3', { replicas: 4 })).toBe(false);
    expect(evaluate('ratio >= 0.75', { ratio: 0.8 })).toBe(true);
    expect(evaluate('ratio > -1', { ratio: -0.5 })).toBe(true);
    expect(evaluate('replicas == 3', { replicas: 3 })).toBe(true);
  });

  it('never coerces types when comparing for equality', () => {
    expect(evaluate("replicas == '3'", { replicas: 3 })).toBe(false);
    expect(evaluate('dry_run == 1', { dry_run: true })).toBe(false);
    expect(evaluate('service == null', {})).toBe(true);
    expect(evaluate('service != null', { service: 'api' })).toBe(true);
  });

  it('looks values up in a list parameter with in', () => {
    expect(evaluate("'eu' in regions", { regions: ['us', 'eu'] })).toBe(true);
    expect(evaluate("'ap' in regions", { regions: ['us', 'eu'] })).toBe(false);
    expect(evaluate("'ap' in regions", {})).toBe(false);
    expect(evaluate("'ap' not in regions", {})).toBe(true);
  });

  it('accepts params.name as a spelling of name', () => {
    expect(evaluate("params.environment == 'production'", { environment: 'production' })).toBe(true);
  });

  it('gives and precedence over or, and not precedence over and', () => {
    // a or (b and c)
    expect(evaluate("env == 'a' or env == 'b' and dry_run", { env: 'a', dry_run: false })).toBe(true);
    // (not a) and b
    expect(evaluate("not dry_run and env == 'prod'", { dry_run: false, env: 'prod' })).toBe(true);
    // not applies to the whole comparison
    expect(evaluate("not env == 'prod'", { env: 'dev' })).toBe(true);
  });

  it('honours parentheses', () => {
    expect(evaluate("(env == 'a' or env == 'b') and dry_run", { env: 'a', dry_run: false })).toBe(false);
    expect(evaluate("((((env == 'a'))))", { env: 'a' })).toBe(true);
  });

  it('evaluates boolean literals', () => {
    expect(evaluate('true', {})).toBe(true);
    expect(evaluate('false or true', {})).toBe(true);
    expect(evaluate('not false', {})).toBe(true);
  });

  it('short-circuits and/or, so a guard protects a later comparison', () => {
    expect(evaluate('replicas != null and replicas > 5', {})).toBe(false);
    expect(evaluate('replicas == null or replicas > 5', {})).toBe(true);
  });

  it('reads escaped quotes and backslashes in strings', () => {
    expect(evaluate("service == 'it\\'s'", { service: "it's" })).toBe(true);
    expect(evaluate('service == "a\\\\b"', { service: 'a\\b' })).toBe(true);
    expect(evaluate("service == 'line\\nbreak'", { service: 'line\nbreak' })).toBe(true);
  });

  it('reports which parameters it reads', () => {
    expect(compileCondition("env in ['a'] and not dry_run or env == 'b'", NAMES).parameters).toEqual(['env', 'dry_run']);
  });

  it('treats a parameter named params as a parameter when no dot follows', () => {
    expect(evaluate("params == 'x'", { params: 'x' })).toBe(true);
  });

  it('reads keyword-named parameters through params.', () => {
    expect(compileCondition('params.in == 1', ['in']).evaluate({ in: 1 })).toBe(true);
  });

  it('exposes the syntax tree', () => {
    expect(compileCondition("env == 'a'", NAMES).ast).toEqual({
      kind: 'compare',
      operator: '==',
      left: { kind: 'parameter', name: 'env' },
      right: { kind: 'literal', value: 'a' },
    });
  });
});

describe('compileCondition: safety', () => {
  it.each([
    "constructor.constructor('return process')()",
    "env.constructor.constructor('return process')()",
    "params.constructor.constructor('return process')()",
    '__proto__',
    'params.__proto__ == null',
    'prototype == 1',
    "params['constructor']",
    "this.process.exit(1)",
    'process.exit(1)',
    "require('child_process')",
    'env; process.exit(1)',
    "env == 'a' && process",
    '`${process}`',
    "env == 'a' || true",
    "globalThis == 1",
    "env.length > 1",
    "env['length'] > 1",
    "env() == 1",
    "(function(){ return 1 })()",
    "env = 'prod'",
    "!dry_run",
    "eval('1')",
  ])('refuses %j when the definition is saved', (text) => {
    expect(() => compileCondition(text, NAMES)).toThrow(DefinitionError);
  });

  it('reports unknown names, including prototype names, as unknown parameters', () => {
    expect(compileError("constructor.constructor('return process')()").message).toBe("unknown parameter 'constructor' at column 1");
    expect(compileError('__proto__ == 1').message).toMatch(/unknown parameter '__proto__'/);
    expect(compileError('params.toString == 1').message).toMatch(/unknown parameter 'toString'/);
  });

  it('refuses property access and calls even on known parameters', () => {
    expect(compileError('env.constructor == 1').message).toBe('property access is not supported at column 4');
    expect(compileError('env() == 1').message).toBe('function calls are not supported at column 4');
    expect(compileError("env['x'] == 1").message).toMatch(/property access is not supported/);
  });

  it('reads only own properties of the params object', () => {
    const inherited = Object.create({ env: 'prod' }) as Record<string, unknown>;
    expect(evaluate("env == 'prod'", inherited)).toBe(false);
    const condition = compileCondition('constructor_name == null', NAMES);
    expect(condition.evaluate({})).toBe(true);
  });

  it('refuses parameter values that are not plain data', () => {
    expect(() => evaluate("env == 'a'", { env: { toString: () => 'a' } })).toThrow(ConditionEvaluationError);
    expect(() => evaluate("env == 'a'", { env: () => 'a' })).toThrow(ConditionEvaluationError);
  });

  it(`refuses conditions nested more than ${CONDITION_MAX_DEPTH} levels`, () => {
    const deep = `${'('.repeat(CONDITION_MAX_DEPTH + 1)}dry_run${')'.repeat(CONDITION_MAX_DEPTH + 1)}`;
    expect(compileError(deep).message).toMatch(/nested more than 32 levels/);
    expect(compileError(`${'not '.repeat(200)}dry_run`).message).toMatch(/nested more than 32 levels/);
    const fine = `${'('.repeat(CONDITION_MAX_DEPTH)}dry_run${')'.repeat(CONDITION_MAX_DEPTH)}`;
    expect(compileCondition(fine, NAMES).evaluate({ dry_run: true })).toBe(true);
  });

  it('refuses conditions longer than 1000 characters', () => {
    const long = `env == '${'x'.repeat(1000)}'`;
    expect(compileError(long).message).toMatch(/longer than 1000 characters/);
  });

  it('handles a long flat chain without deep recursion', () => {
    const chain = Array.from({ length: 70 }, (_, index) => `env == ${index}`).join(' or ');
    expect(chain.length).toBeLessThan(1000);
    expect(compileCondition(chain, NAMES).evaluate({ env: 69 })).toBe(true);
  });
});

describe('compileCondition: syntax errors name the column', () => {
  it.each([
    ["environment == 'production", 'unterminated string at column 16'],
    ['environment ==', 'expected a value, found end of condition at column 15'],
    ["environment = 'x'", "use '==' to compare at column 13"],
    ["env == 'a' && dry_run", "use 'and' instead of '&&' at column 12"],
    ["env == 'a' || dry_run", "use 'or' instead of '||' at column 12"],
    ['env === 1', "use '==' instead of '===' at column 5"],
    ["(env == 'a'", "expected ')' to close '(' at column 1, found end of condition at column 12"],
    ["env == 'a')", "unexpected ')' at column 11"],
    ["env in 'a'", "expected a list like ['a', 'b'] or a parameter name after 'in', found ''a'' at column 8"],
    ["env in ['a' 'b']", "expected ']' to close '[' at column 8, found ''b'' at column 13"],
    ['replicas > 1 > 0', "comparisons cannot be chained: combine them with 'and' at column 14"],
    ['replicas >', 'expected a value, found end of condition at column 11'],
    ['', 'the condition is empty at column 1'],
    ['   ', 'the condition is empty at column 4'],
    ["'production'", "''production'' is not a true/false condition at column 1"],
    ["not 'x'", "''x'' is not a true/false condition at column 5"],
    ['dry_run and 5', "'5' is not a true/false condition at column 13"],
    ['replicas > 5x', "malformed number '5x' at column 12"],
    ["env == 'a\\q'", "unknown escape '\\q' in string at column 10"],
    ['env == @', 'unexpected character "@" at column 8'],
    ["env == 'a' dry_run", "unexpected 'dry_run' at column 12"],
    ["[1] == env", "a list can only follow 'in' or 'not in' at column 1"],
    ['params.', "expected a parameter name after 'params.', found end of condition at column 8"],
    ['unknown_thing == 1', "unknown parameter 'unknown_thing' at column 1"],
    ["env == 'a' and params.nope", "unknown parameter 'nope' at column 23"],
  ])('%j → %s', (text, message) => {
    const error = compileError(text);
    expect(error.message).toBe(message);
    expect(error.path).toBe('approval.when');
    expect(error.column).toBe(Number(/column (\d+)$/.exec(message)?.[1]));
  });

  it('uses the path it is given', () => {
    expect(() => compileCondition('nope', [], { path: 'schedules[0].when' })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ path: 'schedules[0].when' })] }),
    );
  });
});

describe('compileCondition: type errors at evaluation fail loudly', () => {
  it('refuses ordering comparisons on non-numbers, so callers can fail closed', () => {
    expect(() => evaluate('replicas > 5', {})).toThrow(ConditionEvaluationError);
    expect(() => evaluate("env > 'a'", { env: 'b' })).toThrow(/compares numbers/);
  });

  it('refuses non-boolean operands of and/or/not', () => {
    expect(() => evaluate('env and dry_run', { env: 'prod', dry_run: true })).toThrow(/operand of 'and' must be true or false/);
    expect(() => evaluate('not env', { env: 'prod' })).toThrow(ConditionEvaluationError);
    expect(() => evaluate('env', { env: 'prod' })).toThrow(/the condition must be true or false/);
  });

  it("refuses 'in' on something that is not a list", () => {
    expect(() => evaluate("'a' in env", { env: 'abc' })).toThrow(/needs a list/);
  });
});
