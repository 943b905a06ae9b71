import Anser from 'anser';

/**
 * Run output is untrusted text. ANSI colour codes are parsed into plain segments that React
 * renders as text spans; nothing from the output ever becomes markup.
 */
export interface AnsiSegment {
  text: string;
  color?: string;
  background?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  strikethrough?: boolean;
}

const NAMED = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;
const CUBE = [0, 95, 135, 175, 215, 255];
const RGB = /^(\d{1,3}), ?(\d{1,3}), ?(\d{1,3})$/;

function named(index: number): string {
  return index < 8 ? `var(--ansi-${NAMED[index]})` : `var(--ansi-bright-${NAMED[index - 8]})`;
}

/** The xterm 256-colour palette: 16 themed colours, a 6×6×6 cube, then 24 greys. */
export function paletteColor(index: number): string | undefined {
  if (!Number.isInteger(index) || index < 0 || index > 255) return undefined;
  if (index < 16) return named(index);
  if (index >= 232) {
    const grey = 8 + (index - 232) * 10;
    return `rgb(${grey}, ${grey}, ${grey})`;
  }
  const cube = index - 16;
  return `rgb(${CUBE[Math.floor(cube / 36)]}, ${CUBE[Math.floor(cube / 6) % 6]}, ${CUBE[cube % 6]})`;
}

function colorOf(className: string | null, truecolor: string | null): string | undefined {
  if (!className) return undefined;
  if (className === 'ansi-truecolor') {
    const match = truecolor ? RGB.exec(truecolor) : null;
    return match && match.slice(1).every((part) => Number(part) <= 255) ? `rgb(${match[1]}, ${match[2]}, ${match[3]})` : undefined;
  }
  const palette = /^ansi-palette-(\d{1,3})$/.exec(className);
  if (palette) return paletteColor(Number(palette[1]));
  const name = /^ansi-(bright-)?(black|red|green|yellow|blue|magenta|cyan|white)$/.exec(className);
  if (name) return named(NAMED.indexOf(name[2] as (typeof NAMED)[number]) + (name[1] ? 8 : 0));
  return undefined;
}

export function ansiSegments(text: string): AnsiSegment[] {
  // Most lines carry no escape codes: skip the parser for them.
  if (!text.includes('\u001b')) return [{ text }];
  const entries = Anser.ansiToJson(text, { json: true, remove_empty: true, use_classes: true });
  return entries.map((entry) => {
    const decorations = new Set(entry.decorations ?? []);
    // Anser has already swapped the colours of reverse video.
    const color = colorOf(entry.fg, entry.fg_truecolor);
    const background = colorOf(entry.bg, entry.bg_truecolor);
    const segment: AnsiSegment = { text: decorations.has('hidden') ? ' '.repeat(entry.content.length) : entry.content };
    if (color) segment.color = color;
    if (background) segment.background = background;
    if (decorations.has('bold')) segment.bold = true;
    if (decorations.has('dim')) segment.dim = true;
    if (decorations.has('italic')) segment.italic = true;
    if (decorations.has('underline')) segment.underline = true;
    if (decorations.has('strikethrough')) segment.strikethrough = true;
    return segment;
  });
}

/** The text without escape codes (for downloads and copies). */
export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? Anser.ansiToText(text) : text;
}
