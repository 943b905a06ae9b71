import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseDocument,
  visit,
  type YAMLError,
} from 'yaml';
import { DefinitionError, type DefinitionErrorDetail } from './definition-error';

/**
 * Alias expansion budget. Anchors are handy (one `env:` block reused by several steps), but a
 * "billion laughs" document expands a few hundred bytes into gigabytes; yaml stops at this count.
 */
export const YAML_MAX_ALIAS_COUNT = 100;

/** A definition read from text: its plain value, and where in the text a field path sits. */
export interface DefinitionSource {
  readonly value: unknown;
  /** 1-based line of the field at `path`, or of its nearest enclosing field that exists. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

interface ReadYamlOptions {
  /**
   * For JSON text that already parsed: YAML's own complaints about it (other than duplicate keys)
   * are not the author's problem, so they are ignored rather than reported.
   */
  onlyDuplicateKeys?: boolean;
}

/**
 * Reads YAML (or JSON, which is YAML) safely: duplicate keys, tags (`!!js/function`, `!custom`),
 * multiple documents and alias bombs are refused with the line where they occur.
 */
export function readYamlSource(text: string, options: ReadYamlOptions = {}): DefinitionSource {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    version: '1.2',
    schema: 'core',
    merge: false,
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
  });
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  const problems: YAMLError[] = [...document.errors, ...document.warnings].filter(
    (problem) => !options.onlyDuplicateKeys || problem.code === 'DUPLICATE_KEY',
  );
  const details: DefinitionErrorDetail[] = problems.map((problem) => ({
    path: '',
    message: describeYamlProblem(problem),
    line: lineAt(problem.pos[0]),
  }));
  // Explicit tags are refused outright: none is needed to write a definition, and some
  // (`!!binary`, custom ones) would construct values the schema never expects.
  visit(document, (_key, node) => {
    if ((isScalar(node) || isMap(node) || isSeq(node)) && node.tag !== undefined) {
      const line = lineAt(node.range?.[0]);
      if (!details.some((detail) => detail.line === line && detail.message.startsWith('YAML tags'))) {
        details.push({ path: '', message: `YAML tags such as ${shortTag(node.tag)} are not allowed`, line });
      }
    }
  });
  if (details.length > 0) throw new DefinitionError(details);

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

function describeYamlProblem(problem: YAMLError): string {
  if (problem.code === 'DUPLICATE_KEY') return 'duplicate key: each key may appear only once in a mapping';
  if (problem.code === 'TAG_RESOLVE_FAILED') return `YAML tags are not allowed (${problem.message})`;
  return `invalid YAML: ${problem.message}`;
}

function shortTag(tag: string): string {
  return tag.replace(/^tag:yaml\.org,2002:/, '!!');
}

/**
 * Start offset of the node at `path`, walking mappings by key and sequences by index. Keys are
 * located by the key itself (not the value) so a nested block points at the line naming it.
 */
function locate(document: Document, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = document.contents;
  let offset = nodeStart(node);
  for (const segment of path) {
    node = resolveAlias(document, node);
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

function resolveAlias(document: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(document) : node;
}

function nodeStart(node: unknown): number | undefined {
  return isNode(node) ? (node as YamlNode).range?.[0] : undefined;
}
