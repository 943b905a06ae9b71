import { describe, expect, it } from 'vitest';
import { ansiSegments, paletteColor, stripAnsi } from './ansi-segments';

describe('ansiSegments', () => {
  it('returns plain text untouched, markup included', () => {
    expect(ansiSegments('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>' }]);
  });

  it('maps the 16 colours to themed variables and keeps decorations', () => {
    expect(ansiSegments('\u001b[31mred\u001b[0m plain \u001b[1;92mbold\u001b[0m')).toEqual([
      { text: 'red', color: 'var(--ansi-red)' },
      { text: ' plain ' },
      { text: 'bold', color: 'var(--ansi-bright-green)', bold: true },
    ]);
  });

  it('maps 256-colour and true-colour codes to rgb()', () => {
    const [palette, truecolor] = ansiSegments('\u001b[38;5;196ma\u001b[38;2;10;20;30mb');
    expect(palette.color).toBe('rgb(255, 0, 0)');
    expect(truecolor.color).toBe('rgb(10, 20, 30)');
  });

  it('uses the true colour only while it is the current colour', () => {
    const segments = ansiSegments('\u001b[38;2;10;20;30ma\u001b[91mb');
    expect(segments[1].color).toBe('var(--ansi-bright-red)');
  });

  it('keeps escape sequences it does not render out of the text', () => {
    expect(ansiSegments('\u001b[2K\u001b[1Gdone').map((s) => s.text).join('')).toBe('done');
  });

  it('shows reverse video with the colour as the background', () => {
    expect(ansiSegments('\u001b[7;31mx')[0]).toMatchObject({ background: 'var(--ansi-red)' });
  });
});

describe('paletteColor', () => {
  it('covers the cube and the greys, and refuses what is not a colour', () => {
    expect(paletteColor(16)).toBe('rgb(0, 0, 0)');
    expect(paletteColor(231)).toBe('rgb(255, 255, 255)');
    expect(paletteColor(232)).toBe('rgb(8, 8, 8)');
    expect(paletteColor(9)).toBe('var(--ansi-bright-red)');
    expect(paletteColor(256)).toBeUndefined();
  });
});

describe('stripAnsi', () => {
  it('removes escape codes', () => {
    expect(stripAnsi('\u001b[1;31merror\u001b[0m: boom')).toBe('error: boom');
  });
});
