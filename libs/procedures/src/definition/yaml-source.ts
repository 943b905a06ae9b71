import {
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  type Node as YamlNode,
  Parser,
  visit,
  type YAMLError,
  YAMLParseError,
} from 'yaml';
import { DefinitionError, type DefinitionErrorDetail } from './definition-error';

/**
 * Alias expansion budget. Anchors are handy (one `env:` block reused by several steps), but a
 * "billion laughs" document expands a few hundred bytes into gigabytes; yaml stops at this count.
 */
export const YAML_MAX_ALIAS_COUNT = 100;

/**
 * Nesting allowed in the YAML text. yaml builds documents recursively, and a stack overflow in
 * there is not merely an exception: if V8 happens to compile a regular expression near the stack
 * limit, the whole process aborts. So nesting is measured on the (iteratively built) token tree
 * first, and deeper text is never handed to the recursive stages. Definitions are further limited
 * to 32 levels, with a field path, once read.
 */
export const YAML_MAX_NESTING = 64;

/** A definition read from text: its plain value, and where in the text a field path sits. */
export interface DefinitionSource {
  readonly value: unknown;
  /** 1-based line of the field at `path`, or of its nearest enclosing field that exists. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

interface ReadYamlOptions {
  /**
   * For JSON text that JSON.parse already read: only duplicate keys (which JSON.parse silently
   * accepts) are reported; YAML's other opinions about JSON are not the author's problem.
   */
  onlyDuplicateKeys?: boolean;
}

interface Problem {
  isDuplicateKey: boolean;
  message: string;
  offset: number | undefined;
}

/**
 * Reads YAML (or JSON, which is YAML) safely: duplicate keys, tags (`!!js/function`, `!custom`),
 * multiple documents, deep nesting and alias bombs are refused, with the line where they occur.
 */
export function readYamlSource(text: string, options: ReadYamlOptions = {}): DefinitionSource {
  const lineCounter = new LineCounter();
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;
  // The lexer is cheap and flat; yaml's parser slows down with flow nesting, so deep brackets are refused first.
  const tooDeepInFlow = findExcessiveFlowNesting(text);
  const tokens = tooDeepInFlow === undefined ? Array.from(new Parser(lineCounter.addNewLine).parse(text)) : [];
  const tooDeep = tooDeepInFlow ?? findExcessiveNesting(tokens);
  if (tooDeep !== undefined) {
    if (options.onlyDuplicateKeys) return { value: undefined, lineOf: () => undefined };
    const line = text.slice(0, tooDeep).split('\n').length;
    throw new DefinitionError([{ path: '', message: `is nested more than ${YAML_MAX_NESTING} levels deep`, line }]);
  }

  const document = compose(tokens, text.length);
  const problems: Problem[] = [...document.errors, ...document.warnings].map((problem) => ({
    isDuplicateKey: false,
    message: describeYamlProblem(problem),
    offset: problem.pos[0],
  }));
  problems.push(...inspectNodes(document, lineAt));
  const reported = problems.filter((problem) => !options.onlyDuplicateKeys || problem.isDuplicateKey);
  if (reported.length > 0) {
    const details = reported.map((problem) => withLine({ path: '', message: problem.message }, lineAt(problem.offset)));
    details.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new DefinitionError(details);
  }

  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError) {
      throw new DefinitionError([
        { path: '', message: `the document expands aliases too often (limit ${YAML_MAX_ALIAS_COUNT}): refusing a possible alias bomb` },
      ]);
    }
    throw error;
  }
  return { value, lineOf: (path) => lineAt(locate(document, path)) };
}

/** What yaml's `parseDocument` does, on tokens already checked for depth. */
function compose(tokens: readonly CST.Token[], length: number): Document.Parsed {
  const composer = new Composer({
    version: '1.2',
    schema: 'core',
    merge: false,
    // yaml's own duplicate check compares every key with every other (16 000 keys take seconds);
    // inspectNodes does it in linear time.
    uniqueKeys: false,
    strict: true,
    prettyErrors: false,
  });
  let document: Document.Parsed | undefined;
  for (const composed of composer.compose(tokens, true, length)) {
    if (document === undefined) {
      document = composed;
    } else {
      document.errors.push(new YAMLParseError([composed.range[0], composed.range[1]], 'MULTIPLE_DOCS', 'the text holds more than one YAML document'));
      break;
    }
  }
  if (document === undefined) throw new Error('yaml composed no document');
  return document;
}

/** Offset of the first `[` or `{` opening more than {@link YAML_MAX_NESTING} levels of brackets. */
function findExcessiveFlowNesting(text: string): number | undefined {
  let depth = 0;
  let offset = 0;
  // Quoted strings and plain scalars arrive as whole tokens, so brackets inside them are not counted.
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      depth += 1;
      if (depth > YAML_MAX_NESTING) return offset;
    } else if (token === ']' || token === '}') {
      depth = Math.max(0, depth - 1);
    }
    offset += token.length;
  }
  return undefined;
}

/** Offset of the first collection nested deeper than {@link YAML_MAX_NESTING}, found without recursion. */
function findExcessiveNesting(tokens: readonly CST.Token[]): number | undefined {
  const pending: Array<{ token: CST.Token; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { token, depth } = next;
    if (token.type === 'document') {
      if (token.value !== undefined) pending.push({ token: token.value, depth });
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > YAML_MAX_NESTING) return token.offset;
      for (const item of token.items as CST.CollectionItem[]) {
        if (item.key !== undefined && item.key !== null) pending.push({ token: item.key, depth: depth + 1 });
        if (item.value !== undefined) pending.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/** Problems yaml does not report itself: duplicate and complex keys, tags, aliases of aliases. */
function inspectNodes(document: Document.Parsed, lineAt: (offset: number | undefined) => number | undefined): Problem[] {
  const problems: Problem[] = [];
  const tagLines = new Set<number | undefined>();
  const containsAlias = new Map<unknown, boolean>();
  const reportedTargets = new Set<unknown>();
  visit(document, (_key, node) => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) {
          problems.push({ isDuplicateKey: false, message: 'mapping keys must be plain strings', offset: nodeStart(pair.key) ?? nodeStart(node) });
          continue;
        }
        // Compared as the strings they become in JSON, so `1` and "1" collide as they would there.
        const key = String(pair.key.value);
        if (seen.has(key)) {
          problems.push({ isDuplicateKey: true, message: 'duplicate key: each key may appear only once in a mapping', offset: nodeStart(pair.key) });
        }
        seen.add(key);
      }
    }
    // Explicit tags are refused outright: none is needed to write a definition, and some
    // (`!!binary`, custom ones) would construct values the schema never expects.
    if ((isScalar(node) || isMap(node) || isSeq(node)) && node.tag !== undefined) {
      const line = lineAt(node.range?.[0]);
      if (!tagLines.has(line)) {
        tagLines.add(line);
        problems.push({ isDuplicateKey: false, message: `YAML tags such as ${shortTag(node.tag)} are not allowed`, offset: node.range?.[0] });
      }
    }
    // An alias of a value holding aliases is how alias bombs and unbounded nesting are built;
    // sharing a plain block (the useful case) stays allowed.
    if (isAlias(node)) {
      const target = node.resolve(document);
      if (target !== undefined) {
        let nested = containsAlias.get(target);
        if (nested === undefined) {
          nested = false;
          visit(target, {
            Alias: () => {
              nested = true;
              return visit.BREAK;
            },
          });
          containsAlias.set(target, nested);
        }
        if (nested && !reportedTargets.has(target)) {
          reportedTargets.add(target);
          problems.push({
            isDuplicateKey: false,
            message: `the alias *${node.source} points at a value that itself contains aliases, which could expand without bound`,
            offset: nodeStart(node),
          });
        }
      }
    }
  });
  // yaml also warns about a tag it cannot resolve; one message per line is enough.
  return problems.filter((problem) => !(problem.message.startsWith('YAML tags are not allowed') && tagLines.has(lineAt(problem.offset))));
}

function describeYamlProblem(problem: YAMLError): string {
  if (problem.code === 'TAG_RESOLVE_FAILED') return `YAML tags are not allowed (${problem.message})`;
  return `invalid YAML: ${problem.message}`;
}

function shortTag(tag: string): string {
  return tag.replace(/^tag:yaml\.org,2002:/, '!!');
}

function withLine(detail: DefinitionErrorDetail, line: number | undefined): DefinitionErrorDetail {
  return line === undefined ? detail : { ...detail, line };
}

/**
 * Start offset of the node at `path`, walking mappings by key and sequences by index. Keys are
 * located by the key itself (not the value) so a nested block points at the line naming it.
 */
function locate(document: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = document.contents;
  let offset = nodeStart(node);
  for (const segment of path) {
    node = isAlias(node) ? node.resolve(document) : node;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return offset;
      offset = nodeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) return offset;
      offset = nodeStart(item) ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

function nodeStart(node: unknown): number | undefined {
  return isNode(node) ? (node as YamlNode).range?.[0] : undefined;
}
