import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  it('round-trips and never shows the plaintext', () => {
    const box = new SecretBox('key material');
    const sealed = box.seal('hunter2');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed)).toBe('hunter2');
  });

  it('refuses a tampered ciphertext or another key', () => {
    const sealed = new SecretBox('a').seal('x');
    expect(() => new SecretBox('b').open(sealed)).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('y').toString('base64url');
    expect(() => new SecretBox('a').open(parts.join('.'))).toThrow();
  });
});
