import { DefinitionError } from './definition-error';

/*
 * The language of `approval.when`. Conditions are written by procedure authors but evaluated
 * on the server for every run, so the language is deliberately tiny and closed: literals,
 * parameter names, comparisons, membership, and/or/not, parentheses. There is no property
 * access, no calls and no eval — a name can only ever mean "the value of this parameter".
 */

export const CONDITION_MAX_LENGTH = 1000;
export const CONDITION_MAX_DEPTH = 32;

export type ConditionScalar = string | number | boolean | null;
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type ConditionNode =
  | { kind: 'literal'; value: ConditionScalar }
  | { kind: 'parameter'; name: string }
  | { kind: 'list'; items: ConditionScalar[] }
  | { kind: 'not'; operand: ConditionNode }
  | { kind: 'and' | 'or'; operands: ConditionNode[] }
  | { kind: 'compare'; operator: ComparisonOperator; left: ConditionNode; right: ConditionNode }
  | { kind: 'membership'; negated: boolean; item: ConditionNode; collection: ConditionNode };

export interface CompiledCondition {
  readonly source: string;
  readonly ast: ConditionNode;
  /** Parameter names the condition reads, in order of first use. */
  readonly parameters: readonly string[];
  /**
   * Evaluates the condition against a run's parameters (absent parameters read as `null`).
   * Throws {@link ConditionEvaluationError} when values have the wrong type (e.g. `count > 5` with no
   * count given): callers deciding whether a run needs approval should treat that as "yes" (fail closed).
   */
  evaluate(params: Readonly<Record<string, unknown>>): boolean;
}

export interface CompileConditionOptions {
  /** Field path used in errors; defaults to `approval.when`. */
  path?: string;
}

/** A condition met values it cannot compare (a string where a number was needed, say). */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError';
}

/**
 * Parses an approval condition and checks every name against the procedure's parameters.
 * Throws {@link DefinitionError} (path `approval.when`, with the column) on any syntax error or unknown name.
 */
export function compileCondition(
  text: string,
  knownParameterNames: Iterable<string>,
  options: CompileConditionOptions = {},
): CompiledCondition {
  const path = options.path ?? 'approval.when';
  const fail = (message: string, offset: number): never => {
    throw new DefinitionError([{ path, message: `${message} at column ${offset + 1}`, column: offset + 1 }]);
  };
  if (text.length > CONDITION_MAX_LENGTH) {
    fail(`is longer than ${CONDITION_MAX_LENGTH} characters`, CONDITION_MAX_LENGTH);
  }
  const tokens = tokenize(text, fail);
  const parser = new ConditionParser(tokens, new Set(knownParameterNames), fail);
  const ast = parser.parseCondition();
  const parameters = parser.referencedParameters();
  return {
    source: text,
    ast,
    parameters,
    evaluate: (params) => toBoolean(evaluateNode(ast, params), 'the condition'),
  };
}

type TokenKind = 'identifier' | 'keyword' | 'string' | 'number' | 'operator' | 'punctuation' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  value?: string | number;
  offset: number;
}

type Fail = (message: string, offset: number) => never;

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);
const IDENTIFIER_START = /[A-Za-z_]/;
const IDENTIFIER_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;
const WHITESPACE = /\s/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t' };
// Operators people bring from other languages get a pointed hint instead of "unexpected character".
const FOREIGN_OPERATORS: ReadonlyArray<[string, string]> = [
  ['&&', "use 'and' instead of '&&'"],
  ['||', "use 'or' instead of '||'"],
  ['===', "use '==' instead of '==='"],
  ['!==', "use '!=' instead of '!=='"],
];

function tokenize(text: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (WHITESPACE.test(char)) {
      index += 1;
      continue;
    }
    const start = index;
    if (IDENTIFIER_START.test(char)) {
      while (index < text.length && IDENTIFIER_PART.test(text.charAt(index))) index += 1;
      const word = text.slice(start, index);
      tokens.push({ kind: KEYWORDS.has(word) ? 'keyword' : 'identifier', text: word, offset: start });
      continue;
    }
    if (DIGIT.test(char)) {
      while (index < text.length && DIGIT.test(text.charAt(index))) index += 1;
      if (text.charAt(index) === '.' && DIGIT.test(text.charAt(index + 1))) {
        index += 1;
        while (index < text.length && DIGIT.test(text.charAt(index))) index += 1;
      }
      if (IDENTIFIER_START.test(text.charAt(index))) fail(`malformed number '${text.slice(start, index + 1)}'`, start);
      const literal = text.slice(start, index);
      tokens.push({ kind: 'number', text: literal, value: Number(literal), offset: start });
      continue;
    }
    if (char === "'" || char === '"') {
      index += 1;
      let value = '';
      let closed = false;
      while (index < text.length) {
        const next = text.charAt(index);
        if (next === char) {
          closed = true;
          index += 1;
          break;
        }
        if (next === '\\') {
          const escaped = ESCAPES[text.charAt(index + 1)];
          if (escaped === undefined) fail(`unknown escape '\\${text.charAt(index + 1)}' in string`, index);
          value += escaped;
          index += 2;
          continue;
        }
        value += next;
        index += 1;
      }
      if (!closed) fail('unterminated string', start);
      tokens.push({ kind: 'string', text: text.slice(start, index), value, offset: start });
      continue;
    }
    const foreign = FOREIGN_OPERATORS.find(([operator]) => text.startsWith(operator, index));
    if (foreign !== undefined) fail(foreign[1], start);
    const two = text.slice(index, index + 2);
    if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'operator', text: two, offset: start });
      index += 2;
      continue;
    }
    if (char === '<' || char === '>') {
      tokens.push({ kind: 'operator', text: char, offset: start });
      index += 1;
      continue;
    }
    if (char === '=') fail("use '==' to compare", start);
    if (char === '!') fail("use 'not' instead of '!'", start);
    if ('()[],.-'.includes(char)) {
      tokens.push({ kind: 'punctuation', text: char, offset: start });
      index += 1;
      continue;
    }
    fail(`unexpected character ${JSON.stringify(char)}`, start);
  }
  tokens.push({ kind: 'end', text: 'end of condition', offset: text.length });
  return tokens;
}

const COMPARISON_OPERATORS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);

class ConditionParser {
  private position = 0;
  private depth = 0;
  private readonly referenced: string[] = [];

  constructor(
    private readonly tokens: readonly Token[],
    private readonly knownNames: ReadonlySet<string>,
    private readonly fail: Fail,
  ) {}

  parseCondition(): ConditionNode {
    const start = this.peek();
    if (start.kind === 'end') this.fail('the condition is empty', start.offset);
    const node = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'end') this.unexpected(next);
    this.requireBooleanShape(node, start);
    return node;
  }

  referencedParameters(): string[] {
    return [...this.referenced];
  }

  private parseOr(): ConditionNode {
    const first = this.peek();
    const operands = [this.parseAnd()];
    while (this.isKeyword('or')) {
      this.advance();
      const operandStart = this.peek();
      operands.push(this.parseAnd());
      this.requireBooleanShape(operands[operands.length - 1], operandStart);
    }
    if (operands.length === 1) return operands[0];
    this.requireBooleanShape(operands[0], first);
    return { kind: 'or', operands };
  }

  private parseAnd(): ConditionNode {
    const first = this.peek();
    const operands = [this.parseNot()];
    while (this.isKeyword('and')) {
      this.advance();
      const operandStart = this.peek();
      operands.push(this.parseNot());
      this.requireBooleanShape(operands[operands.length - 1], operandStart);
    }
    if (operands.length === 1) return operands[0];
    this.requireBooleanShape(operands[0], first);
    return { kind: 'and', operands };
  }

  private parseNot(): ConditionNode {
    if (this.isKeyword('not')) {
      const token = this.advance();
      return this.nested(token, () => {
        const operandStart = this.peek();
        const operand = this.parseNot();
        this.requireBooleanShape(operand, operandStart);
        return { kind: 'not', operand };
      });
    }
    return this.parseComparison();
  }

  private parseComparison(): ConditionNode {
    const left = this.parseOperand();
    const next = this.peek();
    if (next.kind === 'operator' && COMPARISON_OPERATORS.has(next.text)) {
      this.advance();
      const right = this.parseOperand();
      this.rejectChainedComparison();
      return { kind: 'compare', operator: next.text as ComparisonOperator, left, right };
    }
    if (this.isKeyword('in') || (this.isKeyword('not') && this.peekAt(1).kind === 'keyword' && this.peekAt(1).text === 'in')) {
      const negated = this.isKeyword('not');
      if (negated) this.advance();
      this.advance();
      const collection = this.parseCollection();
      this.rejectChainedComparison();
      return { kind: 'membership', negated, item: left, collection };
    }
    return left;
  }

  private parseOperand(): ConditionNode {
    const token = this.peek();
    if (token.kind === 'punctuation' && token.text === '(') {
      this.advance();
      return this.nested(token, () => {
        const inner = this.parseOr();
        this.expect(')', token);
        return inner;
      });
    }
    if (token.kind === 'identifier') {
      return this.parseReference();
    }
    if (token.kind === 'punctuation' && token.text === '[') {
      this.fail("a list can only follow 'in' or 'not in'", token.offset);
    }
    return { kind: 'literal', value: this.parseLiteral() };
  }

  private parseCollection(): ConditionNode {
    const token = this.peek();
    if (token.kind === 'punctuation' && token.text === '[') {
      this.advance();
      const items: ConditionScalar[] = [];
      if (!this.isPunctuation(']')) {
        items.push(this.parseLiteral());
        while (this.isPunctuation(',')) {
          this.advance();
          items.push(this.parseLiteral());
        }
      }
      this.expect(']', token);
      return { kind: 'list', items };
    }
    if (token.kind === 'identifier') {
      return this.parseReference();
    }
    return this.fail(`expected a list like ['a', 'b'] or a parameter name after 'in', found ${describe(token)}`, token.offset);
  }

  private parseReference(): ConditionNode {
    const token = this.advance();
    let name = token.text;
    let nameOffset = token.offset;
    // `params.x` is accepted as an explicit spelling of `x`; `params` is otherwise only a parameter if one is so named.
    if (name === 'params' && this.isPunctuation('.')) {
      this.advance();
      const member = this.peek();
      if (member.kind !== 'identifier' && member.kind !== 'keyword') {
        this.fail(`expected a parameter name after 'params.', found ${describe(member)}`, member.offset);
      }
      this.advance();
      name = member.text;
      nameOffset = member.offset;
    }
    if (!this.knownNames.has(name)) {
      this.fail(`unknown parameter '${name}'`, nameOffset);
    }
    const next = this.peek();
    if (next.kind === 'punctuation' && (next.text === '(' || next.text === '.' || next.text === '[')) {
      const what = next.text === '(' ? 'function calls are' : 'property access is';
      this.fail(`${what} not supported`, next.offset);
    }
    if (!this.referenced.includes(name)) this.referenced.push(name);
    return { kind: 'parameter', name };
  }

  private parseLiteral(): ConditionScalar {
    const token = this.peek();
    if (token.kind === 'string' && typeof token.value === 'string') {
      this.advance();
      return token.value;
    }
    if (token.kind === 'number' && typeof token.value === 'number') {
      this.advance();
      return token.value;
    }
    if (token.kind === 'punctuation' && token.text === '-' && this.peekAt(1).kind === 'number') {
      this.advance();
      const number = this.advance();
      return -Number(number.value);
    }
    if (token.kind === 'keyword' && (token.text === 'true' || token.text === 'false' || token.text === 'null')) {
      this.advance();
      return token.text === 'null' ? null : token.text === 'true';
    }
    return this.fail(`expected a value, found ${describe(token)}`, token.offset);
  }

  private rejectChainedComparison(): void {
    const next = this.peek();
    if ((next.kind === 'operator' && COMPARISON_OPERATORS.has(next.text)) || this.isKeyword('in')) {
      this.fail("comparisons cannot be chained: combine them with 'and'", next.offset);
    }
  }

  // Literals are the only operands whose type is known before a run: `not 'x'` or `5 and y` can never be right.
  private requireBooleanShape(node: ConditionNode, start: Token): void {
    if (node.kind === 'literal' && typeof node.value !== 'boolean') {
      this.fail(`${describe(start)} is not a true/false condition`, start.offset);
    }
  }

  private nested<T>(token: Token, parse: () => T): T {
    this.depth += 1;
    if (this.depth > CONDITION_MAX_DEPTH) {
      this.fail(`is nested more than ${CONDITION_MAX_DEPTH} levels deep`, token.offset);
    }
    const result = parse();
    this.depth -= 1;
    return result;
  }

  private expect(text: string, opening: Token): void {
    const token = this.peek();
    if (token.kind === 'punctuation' && token.text === text) {
      this.advance();
      return;
    }
    this.fail(`expected '${text}' to close '${opening.text}' at column ${opening.offset + 1}, found ${describe(token)}`, token.offset);
  }

  private unexpected(token: Token): never {
    return this.fail(`unexpected ${describe(token)}`, token.offset);
  }

  private isKeyword(word: string): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.text === word;
  }

  private isPunctuation(text: string): boolean {
    const token = this.peek();
    return token.kind === 'punctuation' && token.text === text;
  }

  private peek(): Token {
    return this.peekAt(0);
  }

  private peekAt(ahead: number): Token {
    return this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)];
  }

  private advance(): Token {
    const token = this.peek();
    if (this.position < this.tokens.length - 1) this.position += 1;
    return token;
  }
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'end of condition' : `'${token.text}'`;
}

type ConditionValue = ConditionScalar | readonly ConditionScalar[];

function evaluateNode(node: ConditionNode, params: Readonly<Record<string, unknown>>): ConditionValue {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'list':
      return node.items;
    case 'parameter':
      return readParameter(params, node.name);
    case 'not':
      return !toBoolean(evaluateNode(node.operand, params), "the operand of 'not'");
    case 'and':
      return node.operands.every((operand) => toBoolean(evaluateNode(operand, params), "an operand of 'and'"));
    case 'or':
      return node.operands.some((operand) => toBoolean(evaluateNode(operand, params), "an operand of 'or'"));
    case 'compare':
      return compare(node.operator, evaluateNode(node.left, params), evaluateNode(node.right, params));
    case 'membership': {
      const item = evaluateNode(node.item, params);
      const collection = evaluateNode(node.collection, params);
      if (collection !== null && !Array.isArray(collection)) {
        throw new ConditionEvaluationError(`'in' needs a list on its right, found ${typeName(collection)}`);
      }
      // An optional list parameter that was not given reads as null: nothing is in it.
      const found = collection === null ? false : collection.some((candidate) => valuesEqual(candidate, item));
      return node.negated ? !found : found;
    }
  }
}

function readParameter(params: Readonly<Record<string, unknown>>, name: string): ConditionValue {
  // Own properties only, so `constructor` or `__proto__` can never reach the prototype chain.
  if (!Object.hasOwn(params, name)) return null;
  const value: unknown = params[name];
  if (value === undefined || value === null) return null;
  if (isScalar(value)) return value;
  if (Array.isArray(value) && value.every(isScalar)) return value;
  throw new ConditionEvaluationError(`parameter '${name}' has a value the condition cannot use (${typeName(value)})`);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function toBoolean(value: ConditionValue, role: string): boolean {
  if (typeof value === 'boolean') return value;
  // An optional boolean parameter that was left out is false, not an error.
  if (value === null) return false;
  throw new ConditionEvaluationError(`${role} must be true or false, found ${typeName(value)}`);
}

function compare(operator: ComparisonOperator, left: ConditionValue, right: ConditionValue): boolean {
  switch (operator) {
    case '==':
      return valuesEqual(left, right);
    case '!=':
      return !valuesEqual(left, right);
    default: {
      // Ordering is defined for numbers only: string ordering ('10' < '9') is a trap in approval rules.
      if (typeof left !== 'number' || typeof right !== 'number') {
        throw new ConditionEvaluationError(`'${operator}' compares numbers, found ${typeName(left)} and ${typeName(right)}`);
      }
      if (operator === '<') return left < right;
      if (operator === '<=') return left <= right;
      if (operator === '>') return left > right;
      return left >= right;
    }
  }
}

function valuesEqual(left: ConditionValue, right: ConditionValue): boolean {
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => item === right[index]);
  }
  return left === right;
}

function typeName(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
