import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, type LinePiece } from './line-splitter';

function split(chunks: (string | Buffer)[], maxLineBytes?: number): LinePiece[] {
  const pieces: LinePiece[] = [];
  const splitter = new LineSplitter((piece) => pieces.push(piece), { maxLineBytes });
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return pieces;
}

function texts(pieces: LinePiece[]): string[] {
  return pieces.map((piece) => piece.text);
}

function line(text: string): LinePiece {
  return { text, continued: false };
}

describe('LineSplitter', () => {
  it('emits each complete line without its newline', () => {
    expect(split(['one\ntwo\nthree\n'])).toEqual([line('one'), line('two'), line('three')]);
  });

  it('keeps a partial line until the rest arrives in a later chunk', () => {
    const pieces: LinePiece[] = [];
    const splitter = new LineSplitter((piece) => pieces.push(piece));
    splitter.push(Buffer.from('hel'));
    expect(pieces).toEqual([]);
    splitter.push(Buffer.from('lo wo'));
    splitter.push(Buffer.from('rld\nnext'));
    expect(texts(pieces)).toEqual(['hello world']);
    splitter.end();
    expect(texts(pieces)).toEqual(['hello world', 'next']);
  });

  it('flushes the final line when the stream ends without a newline', () => {
    expect(texts(split(['a\nlast']))).toEqual(['a', 'last']);
  });

  it('emits nothing at the end when the stream ended with a newline', () => {
    expect(texts(split(['a\n']))).toEqual(['a']);
    expect(split([])).toEqual([]);
  });

  it('keeps empty lines', () => {
    expect(texts(split(['\n\na\n\n']))).toEqual(['', '', 'a', '']);
  });

  it('strips the \\r of \\r\\n line endings, also when split across chunks', () => {
    expect(texts(split(['one\r\ntwo\r', '\nthree\r\n']))).toEqual(['one', 'two', 'three']);
  });

  it('strips a trailing \\r of the final line but keeps a \\r inside a line', () => {
    expect(texts(split(['progress 10%\rprogress 20%\r']))).toEqual(['progress 10%\rprogress 20%']);
  });

  it('decodes a multibyte character split across chunks whole', () => {
    const bytes = Buffer.from('größe: 😀 ok\n');
    const pieces = split([bytes.subarray(0, 3), bytes.subarray(3, 10), bytes.subarray(10, 11), bytes.subarray(11)]);
    expect(texts(pieces)).toEqual(['größe: 😀 ok']);
  });

  it('replaces invalid UTF-8 bytes with U+FFFD', () => {
    expect(texts(split([Buffer.from([0x61, 0xff, 0x62, 0x0a])]))).toEqual(['a\uFFFDb']);
  });

  it('splits a long line at maxLineBytes and marks the continued pieces', () => {
    expect(split(['abcdefghij\n'], 4)).toEqual([
      { text: 'abcd', continued: false },
      { text: 'efgh', continued: true },
      { text: 'ij', continued: true },
    ]);
  });

  it('does not split a line of exactly maxLineBytes', () => {
    expect(split(['abcd\nefgh'], 4)).toEqual([line('abcd'), line('efgh')]);
  });

  it('splits a long line that arrives in many small chunks without holding more than maxLineBytes', () => {
    const pieces = split([...'abcdefghij'], 4);
    expect(pieces).toEqual([
      { text: 'abcd', continued: false },
      { text: 'efgh', continued: true },
      { text: 'ij', continued: true },
    ]);
  });

  it('never cuts inside a multibyte character', () => {
    // "é" is two bytes and "😀" four: a cut at 4 bytes would land inside them.
    const pieces = split(['aaé😀b\n'], 4);
    expect(pieces).toEqual([
      { text: 'aaé', continued: false },
      { text: '😀', continued: true },
      { text: 'b', continued: true },
    ]);
    expect(pieces.every((piece) => !piece.text.includes('\uFFFD'))).toBe(true);
    expect(pieces.every((piece) => Buffer.byteLength(piece.text) <= 4)).toBe(true);
  });

  it('never cuts inside a multibyte character that arrives split across chunks of a long line', () => {
    const text = 'x'.repeat(5) + '€'.repeat(20);
    const bytes = Buffer.from(`${text}\n`);
    const chunks = Array.from({ length: bytes.length }, (_, index) => bytes.subarray(index, index + 1));
    const pieces = split(chunks, 8);
    expect(pieces.map((piece) => piece.text).join('')).toBe(text);
    expect(pieces.every((piece) => !piece.text.includes('\uFFFD'))).toBe(true);
    expect(pieces.every((piece) => Buffer.byteLength(piece.text) <= 8)).toBe(true);
    expect(pieces.slice(1).every((piece) => piece.continued)).toBe(true);
  });

  it('cuts a run of invalid continuation bytes at the limit rather than looping', () => {
    const pieces = split([Buffer.alloc(10, 0x80)], 4);
    expect(pieces.map((piece) => piece.text.length)).toEqual([4, 4, 2]);
  });

  it('does not emit an empty piece when a long line is cut right before its \\r\\n', () => {
    expect(split(['abcd\r', '\nnext\n'], 4)).toEqual([line('abcd'), line('next')]);
  });

  it('starts the next line as not continued after a long line', () => {
    expect(split(['abcdef\nxy\n'], 4)).toEqual([
      { text: 'abcd', continued: false },
      { text: 'ef', continued: true },
      line('xy'),
    ]);
  });

  it('splits a long final line that has no newline', () => {
    expect(split(['abcdefghij'], 4)).toEqual([
      { text: 'abcd', continued: false },
      { text: 'efgh', continued: true },
      { text: 'ij', continued: true },
    ]);
  });

  it('uses 16 KiB as the default maximum line length', () => {
    expect(DEFAULT_MAX_LINE_BYTES).toBe(16 * 1024);
    const pieces = split([`${'a'.repeat(DEFAULT_MAX_LINE_BYTES + 1)}\n`]);
    expect(pieces.map((piece) => piece.text.length)).toEqual([DEFAULT_MAX_LINE_BYTES, 1]);
  });

  it('handles many lines spread over chunks of arbitrary size in order', () => {
    const lines = Array.from({ length: 500 }, (_, index) => `line ${index} ${'ü'.repeat(index % 7)}`);
    const bytes = Buffer.from(lines.map((text) => `${text}\n`).join(''));
    const chunks: Buffer[] = [];
    for (let offset = 0, size = 1; offset < bytes.length; offset += size, size = (size * 7) % 61 + 1) {
      chunks.push(bytes.subarray(offset, offset + size));
    }
    expect(texts(split(chunks))).toEqual(lines);
  });

  it('rejects a maximum line length too small to hold any UTF-8 character', () => {
    expect(() => new LineSplitter(() => undefined, { maxLineBytes: 3 })).toThrow(RangeError);
  });
});
