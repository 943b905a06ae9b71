export interface UnifiedLineDiffOptions {
  /** Unchanged lines shown around each change; 3 like `diff -u`. */
  context?: number;
}

/**
 * Beyond this many differing lines the exact shortest edit is not worth its quadratic cost;
 * the differing middle is then shown as removed and re-added, which is still a correct diff.
 */
export const MAX_EXACT_EDIT_DISTANCE = 2000;

type Operation = { type: ' ' | '-' | '+'; line: string };

/**
 * A unified diff (`@@ -a,b +c,d @@` hunks, no file headers) of two texts, line by line, using
 * Myers' shortest-edit algorithm. Returns `''` when the texts are equal.
 */
export function unifiedLineDiff(before: string, after: string, options: UnifiedLineDiffOptions = {}): string {
  if (before === after) return '';
  const context = options.context ?? 3;
  const operations = diffOperations(splitLines(before), splitLines(after));
  return formatHunks(operations, context);
}

// Each line keeps its '\n', so a last line with and without a newline compare as different lines.
function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/(?<=\n)/);
}

function diffOperations(a: readonly string[], b: readonly string[]): Operation[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) {
    suffix += 1;
  }
  const middleA = a.slice(prefix, a.length - suffix);
  const middleB = b.slice(prefix, b.length - suffix);
  return [
    ...a.slice(0, prefix).map((line): Operation => ({ type: ' ', line })),
    ...(myers(middleA, middleB) ?? [
      ...middleA.map((line): Operation => ({ type: '-', line })),
      ...middleB.map((line): Operation => ({ type: '+', line })),
    ]),
    ...a.slice(a.length - suffix).map((line): Operation => ({ type: ' ', line })),
  ];
}

/** Myers' O((N+M)·D) algorithm; undefined when the edit distance exceeds {@link MAX_EXACT_EDIT_DISTANCE}. */
function myers(a: readonly string[], b: readonly string[]): Operation[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const furthest = new Int32Array(2 * max + 3);
  // trace[d] holds furthest[k] for k in [-d, d] as it was before round d, for backtracking.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(max, MAX_EXACT_EDIT_DISTANCE); d += 1) {
    trace.push(furthest.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && furthest[offset + k - 1] < furthest[offset + k + 1])
          ? furthest[offset + k + 1]
          : furthest[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      furthest[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, d);
    }
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: readonly Int32Array[], distance: number): Operation[] {
  const operations: Operation[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = distance; d >= 0; d -= 1) {
    const previous = trace[d];
    const at = (k: number): number => previous[k + d];
    const k = x - y;
    const previousK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    // Round 0 starts at the origin; later rounds start where the chosen neighbouring diagonal ended.
    const previousX = d === 0 ? 0 : at(previousK);
    const previousY = d === 0 ? 0 : previousX - previousK;
    while (x > previousX && y > previousY) {
      x -= 1;
      y -= 1;
      operations.push({ type: ' ', line: a[x] });
    }
    if (d > 0) {
      if (x === previousX) {
        y -= 1;
        operations.push({ type: '+', line: b[y] });
      } else {
        x -= 1;
        operations.push({ type: '-', line: a[x] });
      }
    }
  }
  return operations.reverse();
}

function formatHunks(operations: readonly Operation[], context: number): string {
  const changed = operations.flatMap((operation, index) => (operation.type === ' ' ? [] : [index]));
  if (changed.length === 0) return '';
  // Group changes whose surrounding context would touch or overlap into one hunk.
  const groups: Array<[number, number]> = [];
  for (const index of changed) {
    const last = groups[groups.length - 1];
    if (last !== undefined && index - last[1] <= 2 * context + 1) last[1] = index;
    else groups.push([index, index]);
  }
  const oldLineAt: number[] = [];
  const newLineAt: number[] = [];
  let oldLine = 1;
  let newLine = 1;
  for (const operation of operations) {
    oldLineAt.push(oldLine);
    newLineAt.push(newLine);
    if (operation.type !== '+') oldLine += 1;
    if (operation.type !== '-') newLine += 1;
  }
  const output: string[] = [];
  for (const [first, last] of groups) {
    const start = Math.max(0, first - context);
    const end = Math.min(operations.length - 1, last + context);
    const slice = operations.slice(start, end + 1);
    const oldCount = slice.filter((operation) => operation.type !== '+').length;
    const newCount = slice.filter((operation) => operation.type !== '-').length;
    // An empty side is numbered by the line before it, as diff -u does.
    const oldStart = oldCount === 0 ? oldLineAt[start] - 1 : oldLineAt[start];
    const newStart = newCount === 0 ? newLineAt[start] - 1 : newLineAt[start];
    output.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const operation of slice) {
      if (operation.line.endsWith('\n')) {
        output.push(operation.type + operation.line.slice(0, -1));
      } else {
        output.push(operation.type + operation.line, '\\ No newline at end of file');
      }
    }
  }
  return `${output.join('\n')}\n`;
}
