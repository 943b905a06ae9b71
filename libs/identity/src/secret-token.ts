import { hash, randomBytes } from 'node:crypto';

/** Random bearer secrets: 256 bits, URL-safe. Stored only as SHA-256 (fine for high-entropy secrets). */
export function generateSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

export const API_TOKEN_PREFIX = 'sbt_';
export const SESSION_COOKIE = 'sb_session';
