import { randomUUID } from 'node:crypto';

/**
 * A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then random bits. New
 * rows keyed by it (audit events, executions, their log lines) land at the right edge of each
 * index on the id instead of on a random page of it, which after each checkpoint would cost a
 * full-page image in the WAL. The 74 random bits keep ids unguessable; the time they reveal is
 * shown next to them anyway.
 */
export function uuidV7(now = Date.now()): string {
  // The random bits come from a version 4 UUID (xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, variant
  // already RFC): randomUUID draws on a cache refilled once per 128 ids, where randomBytes makes
  // a system call each time, several times per execution.
  const random = randomUUID();
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
