export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

export interface LinePiece {
  text: string;
  /** True when this piece continues the previous piece of a line longer than `maxLineBytes`. */
  continued: boolean;
}

export interface LineSplitterOptions {
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
const MAX_UTF8_BACKTRACK = 3;

function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/**
 * Turns the chunks of a byte stream into lines. Bytes are kept undecoded until a piece is
 * complete, so a multibyte character split across chunks is decoded whole.
 */
export class LineSplitter {
  private readonly maxLineBytes: number;
  private pending: Buffer = EMPTY;
  private isInsideLongLine = false;

  constructor(
    private readonly onPiece: (piece: LinePiece) => void,
    options: LineSplitterOptions = {},
  ) {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    // Below 4 bytes a single UTF-8 character might not fit in a piece.
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4) {
      throw new RangeError(`maxLineBytes must be an integer >= 4, got ${maxLineBytes}`);
    }
    this.maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (let newline = data.indexOf(LF, start); newline !== -1; newline = data.indexOf(LF, start)) {
      const end = newline > start && data[newline - 1] === CR ? newline - 1 : newline;
      this.emitLine(data, start, end);
      start = newline + 1;
    }
    start = this.emitOverlongPieces(data, start, data.length);
    // Copy so the retained tail does not pin the whole (possibly large) chunk in memory.
    this.pending = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
  }

  /** Emits the final line when the stream ended without a newline. */
  end(): void {
    const data = this.pending;
    this.pending = EMPTY;
    if (data.length === 0) {
      this.isInsideLongLine = false;
      return;
    }
    const end = data[data.length - 1] === CR ? data.length - 1 : data.length;
    this.emitLine(data, 0, end);
  }

  private emitLine(data: Buffer, start: number, end: number): void {
    start = this.emitOverlongPieces(data, start, end);
    const isEmptyContinuation = this.isInsideLongLine && start === end;
    // A long line cut just before its "\r\n" leaves nothing to show; an empty piece would only add noise.
    if (!isEmptyContinuation) {
      this.onPiece({ text: data.toString('utf8', start, end), continued: this.isInsideLongLine });
    }
    this.isInsideLongLine = false;
  }

  private emitOverlongPieces(data: Buffer, start: number, end: number): number {
    while (end - start > this.maxLineBytes) {
      const cut = this.findCut(data, start, start + this.maxLineBytes);
      this.onPiece({ text: data.toString('utf8', start, cut), continued: this.isInsideLongLine });
      this.isInsideLongLine = true;
      start = cut;
    }
    return start;
  }

  private findCut(data: Buffer, start: number, limit: number): number {
    let cut = limit;
    while (cut > start && limit - cut < MAX_UTF8_BACKTRACK && isContinuationByte(data[cut])) cut -= 1;
    // Still inside a run of continuation bytes: the input is not valid UTF-8 here, so any cut is as good.
    if (cut === start || isContinuationByte(data[cut])) cut = limit;
    // Keep a "\r" with what follows so that a "\r\n" arriving in the next chunk is still stripped.
    if (cut - 1 > start && data[cut - 1] === CR) cut -= 1;
    return cut;
  }
}
