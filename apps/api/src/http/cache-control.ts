import { basename, relative, sep } from 'node:path';

/**
 * The Cache-Control of a file of the web app in `dir`: index.html is revalidated on every load;
 * the bundler's assets carry a content hash in their names, so they never change and are cached
 * for a year; anything else for an hour. Judged relative to `dir`: the install path itself may
 * contain a folder named `assets`.
 */
export function cacheControlFor(dir: string, filePath: string): string {
  if (basename(filePath).startsWith('index.html')) return 'no-cache';
  if (relative(dir, filePath).startsWith(`assets${sep}`)) return 'public, max-age=31536000, immutable';
  return 'public, max-age=3600';
}
