import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium with the flags known to work headless as root in a container (SETUP-NOTES.md). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
    ],
  });
}

export const VIEWPORT = { width: 1280, height: 800 };

/** A fresh browser profile (its own cookies) on the test api. */
export async function newContext(browser: Browser, baseURL: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: VIEWPORT, colorScheme: options.colorScheme ?? 'light', acceptDownloads: true, locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Signs in through the API (the sign-in form has its own test): the session cookie lands in the context. */
export async function signInByApi(context: BrowserContext, username: string, password: string): Promise<void> {
  const response = await context.request.post('/api/v1/auth/login', { data: { username, password } });
  if (response.status() !== 200) throw new Error(`sign-in of ${username} failed: ${response.status()} ${await response.text()}`);
}

/** Collects uncaught page errors and CSP violations, which must never happen. */
export function watchForPageErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return problems;
}

const SCREENSHOT_DIR = resolve(__dirname, '..', '..', '..', 'docs', 'screenshots');

/** Writes docs/screenshots/<name>.png when SWITCHBOARD_SCREENSHOTS=1 (1280×800, the viewport). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SWITCHBOARD_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false, animations: 'disabled', caret: 'hide' });
}
