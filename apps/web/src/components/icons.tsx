import type { ReactNode } from 'react';

/** A few stroke icons, drawn inline (the app bundles everything; no icon font or CDN). */
const PATHS = {
  catalog: 'M4 5h16M4 12h16M4 19h10',
  history: 'M12 8v4l3 2M3 12a9 9 0 1 0 3-6.7M3 4v4h4',
  approvals: 'M9 12l2 2 4-4M12 3l8 4v5c0 5-3.5 8-8 9-4.5-1-8-4-8-9V7z',
  audit: 'M9 5h10M9 12h10M9 19h10M4 5h1M4 12h1M4 19h1',
  admin: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0',
  sun: 'M12 17a5 5 0 1 0 0-10 5 5 0 0 0 0 10zM12 1v2M12 21v2M4.2 4.2l1.4 1.4M18.4 18.4l1.4 1.4M1 12h2M21 12h2M4.2 19.8l1.4-1.4M18.4 5.6l1.4-1.4',
  moon: 'M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z',
  key: 'M15 7a4 4 0 1 1-3.9 5H3v3h3v3h3v-3h2.1A4 4 0 0 1 15 7z',
  plus: 'M12 5v14M5 12h14',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-4.3-4.3',
  download: 'M12 3v12M7 10l5 5 5-5M5 21h14',
  logout: 'M9 21H5V3h4M16 17l5-5-5-5M21 12H9',
  play: 'M7 4l13 8-13 8z',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 18 }: { name: IconName; size?: number }): ReactNode {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} />
    </svg>
  );
}
