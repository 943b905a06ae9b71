import { describe, expect, it } from 'vitest';
import { MAX_EXACT_EDIT_DISTANCE, unifiedLineDiff } from './unified-line-diff';

/** Applies a unified diff produced by unifiedLineDiff, to check that it really turns before into after. */
function applyDiff(before: string, diff: string): string {
  const source = before === '' ? [] : before.split(/(?<=\n)/);
  const output: string[] = [];
  let cursor = 0;
  const lines = diff === '' ? [] : diff.slice(0, -1).split('\n');
  let index = 0;
  while (index < lines.length) {
    const header = /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/.exec(lines[index]);
    if (header === null) throw new Error(`bad hunk header ${lines[index]}`);
    const oldStart = Number(header[1]);
    const oldCount = Number(header[2]);
    const startIndex = oldCount === 0 ? oldStart : oldStart - 1;
    while (cursor < startIndex) output.push(source[cursor++]);
    index += 1;
    while (index < lines.length && !lines[index].startsWith('@@')) {
      const line = lines[index];
      const noNewline = lines[index + 1] === '\\ No newline at end of file';
      const text = line.slice(1) + (noNewline ? '' : '\n');
      if (line.startsWith(' ')) {
        expect(source[cursor]).toBe(text);
        output.push(text);
        cursor += 1;
      } else if (line.startsWith('-')) {
        expect(source[cursor]).toBe(text);
        cursor += 1;
      } else if (line.startsWith('+')) {
        output.push(text);
      } else {
        throw new Error(`bad diff line ${line}`);
      }
      index += noNewline ? 2 : 1;
    }
  }
  while (cursor < source.length) output.push(source[cursor++]);
  return output.join('');
}

function randomText(random: () => number, lines: number): string {
  return Array.from({ length: lines }, () => `line ${Math.floor(random() * 6)}`).join('\n') + (random() < 0.5 ? '\n' : '');
}

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('unifiedLineDiff', () => {
  it('returns nothing for equal texts', () => {
    expect(unifiedLineDiff('a\nb\n', 'a\nb\n')).toBe('');
    expect(unifiedLineDiff('', '')).toBe('');
  });

  it('shows a changed line with its context', () => {
    const before = 'set -e\necho one\necho two\necho three\n';
    const after = 'set -e\necho one\necho TWO\necho three\n';
    expect(unifiedLineDiff(before, after)).toBe('@@ -1,4 +1,4 @@\n set -e\n echo one\n-echo two\n+echo TWO\n echo three\n');
  });

  it('shows added and removed lines', () => {
    expect(unifiedLineDiff('a\nb\n', 'a\nb\nc\n')).toBe('@@ -1,2 +1,3 @@\n a\n b\n+c\n');
    expect(unifiedLineDiff('a\nb\nc\n', 'b\nc\n')).toBe('@@ -1,3 +1,2 @@\n-a\n b\n c\n');
  });

  it('numbers an empty side by the line before it', () => {
    expect(unifiedLineDiff('', 'new\n')).toBe('@@ -0,0 +1,1 @@\n+new\n');
    expect(unifiedLineDiff('old\n', '')).toBe('@@ -1,1 +0,0 @@\n-old\n');
  });

  it('marks a last line without a newline', () => {
    expect(unifiedLineDiff('a\nb', 'a\nb\n')).toBe('@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n');
  });

  it('keeps distant changes in separate hunks and merges close ones', () => {
    const lines = Array.from({ length: 20 }, (_, index) => `line ${index}`);
    const before = `${lines.join('\n')}\n`;
    const far = [...lines];
    far[1] = 'changed 1';
    far[18] = 'changed 18';
    const farDiff = unifiedLineDiff(before, `${far.join('\n')}\n`);
    expect(farDiff.match(/^@@/gm)).toHaveLength(2);
    expect(farDiff).toContain('@@ -1,5 +1,5 @@');
    expect(farDiff).toContain('@@ -16,5 +16,5 @@');
    const near = [...lines];
    near[5] = 'changed 5';
    near[11] = 'changed 11';
    expect(unifiedLineDiff(before, `${near.join('\n')}\n`).match(/^@@/gm)).toHaveLength(1);
  });

  it('honours a custom amount of context', () => {
    expect(unifiedLineDiff('a\nb\nc\nd\ne\n', 'a\nb\nX\nd\ne\n', { context: 0 })).toBe('@@ -3,1 +3,1 @@\n-c\n+X\n');
  });

  it('finds a shortest edit rather than replacing everything', () => {
    const diff = unifiedLineDiff('a\nb\nc\nd\ne\nf\n', 'a\nc\nd\nX\ne\nf\n', { context: 0 });
    expect(diff.split('\n').filter((line) => /^[-+]/.test(line))).toEqual(['-b', '+X']);
  });

  it('produces diffs that turn before into after, on many random texts', () => {
    const random = seededRandom(42);
    for (let round = 0; round < 300; round += 1) {
      const before = randomText(random, Math.floor(random() * 15));
      const after = randomText(random, Math.floor(random() * 15));
      expect(applyDiff(before, unifiedLineDiff(before, after, { context: Math.floor(random() * 4) }))).toBe(after);
    }
  });

  it('stays fast and correct on large, completely different texts', () => {
    const before = Array.from({ length: 3_000 }, (_, index) => `old ${index}`).join('\n');
    const after = Array.from({ length: 3_000 }, (_, index) => `new ${index}`).join('\n');
    expect(2 * 3_000).toBeGreaterThan(MAX_EXACT_EDIT_DISTANCE);
    const started = performance.now();
    const diff = unifiedLineDiff(before, after);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(applyDiff(before, diff)).toBe(after);
  });

  it('handles a small change in a large script cheaply', () => {
    const lines = Array.from({ length: 20_000 }, (_, index) => `echo ${index}`);
    const changed = [...lines];
    changed[10_000] = 'echo changed';
    const started = performance.now();
    const diff = unifiedLineDiff(`${lines.join('\n')}\n`, `${changed.join('\n')}\n`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(diff).toBe('@@ -9998,7 +9998,7 @@\n echo 9997\n echo 9998\n echo 9999\n-echo 10000\n+echo changed\n echo 10001\n echo 10002\n echo 10003\n');
  });
});
