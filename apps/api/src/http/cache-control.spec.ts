import { describe, expect, it } from 'vitest';
import { cacheControlFor } from './cache-control';

describe('cacheControlFor', () => {
  const dir = '/srv/assets/switchboard/apps/web/dist';

  it('revalidates index.html, keeps hashed assets for a year, other files for an hour', () => {
    expect(cacheControlFor(dir, `${dir}/index.html`)).toBe('no-cache');
    expect(cacheControlFor(dir, `${dir}/assets/app-3f9a1c.js`)).toBe('public, max-age=31536000, immutable');
    expect(cacheControlFor(dir, `${dir}/favicon.svg`)).toBe('public, max-age=3600');
  });
});
