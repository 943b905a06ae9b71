import { readFileSync } from 'node:fs';
import type TestAgent from 'supertest/lib/agent';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAgent, startTestApi, type TestApi, uniqueName } from '../support/test-api';
import { bind } from '../factories/access';
import { createUser, type TestUser } from '../factories/users';
import { launchBrowser, newContext, signInByApi, watchForPageErrors } from './support/browser';

const TEAMS = 120;

describe('browser: an auditor reads, filters and exports the audit log', () => {
  let api: TestApi;
  let admin: TestAgent;
  let browser: Browser;
  let auditor: TestUser;
  let operator: TestUser;
  let projectName: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [api, browser] = await Promise.all([startTestApi(), launchBrowser()]);
    admin = await loginAgent(api);
    auditor = await createUser(admin, 'auditor', { displayName: 'Audrey Auditor' });
    await bind(admin, { type: 'user', id: auditor.id }, 'auditor', { type: 'global' });
    // An operator of their own, so their events can be told apart from every other test's.
    operator = await createUser(admin, 'operator');
    await bind(admin, { type: 'user', id: operator.id }, 'admin', { type: 'global' });
    const agent = await loginAgent(api, operator.username, operator.password);
    for (let i = 0; i < TEAMS; i += 1) {
      const response = await agent.post('/api/v1/teams').send({ name: uniqueName('audited-team') });
      expect(response.status).toBe(201);
    }
    projectName = uniqueName('audited');
    expect((await agent.post('/api/v1/projects').send({ name: projectName, description: 'seen by the auditor' })).status).toBe(201);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await api?.close();
  });

  async function auditorPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await newContext(browser, api.url);
    contexts.push(context);
    await signInByApi(context, auditor.username, auditor.password);
    const page = await context.newPage();
    return { page, errors: watchForPageErrors(page) };
  }

  it('filters by actor, action and time, scrolls through every page, and opens an event\'s before/after', async () => {
    const { page, errors } = await auditorPage();
    await page.goto('/audit');
    await page.getByTestId('chain-status').getByText(/events verified|Chain broken/).waitFor({ timeout: 30_000 });
    const filters = page.getByRole('form', { name: 'Filters' });
    await filters.getByLabel('Actor').fill(operator.username);
    await filters.getByLabel('Action').fill('team.created');
    await page.waitForURL((url) => url.searchParams.get('actor') === operator.username && url.searchParams.get('action') === 'team.created');
    const rows = page.getByTestId('audit-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(100);
    // Scrolling to the end loads the next page (infinite scroll over the cursor).
    await page.getByTestId('audit-table').hover();
    await page.mouse.wheel(0, 100_000);
    await page.getByText(`${TEAMS} events, all loaded.`).waitFor();
    expect(await rows.count()).toBe(TEAMS);

    // A time range before any of it finds nothing.
    await filters.getByLabel('To', { exact: true }).fill('2001-01-01T00:00');
    await page.getByText('No events.').waitFor();
    await filters.getByLabel('To', { exact: true }).fill('');
    await expect.poll(() => rows.count()).toBe(TEAMS);

    // The project the operator created, with what it was created as.
    await filters.getByLabel('Action').fill('project.created');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().click();
    const drawer = page.getByRole('dialog');
    await drawer.getByText('project.created').first().waitFor();
    const after = drawer.getByTestId('before-after');
    await after.getByText(`"name": "${projectName}"`).waitFor();
    await after.getByText('"description": "seen by the auditor"').waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
  });

  it('exports exactly the current filter as JSON Lines and CSV', async () => {
    const { page, errors } = await auditorPage();
    await page.goto(`/audit?actor=${encodeURIComponent(operator.username)}&action=team.created`);
    await page.getByTestId('audit-table').locator('tbody tr').first().waitFor();

    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export JSONL' }).click()]);
    expect(jsonl.suggestedFilename()).toMatch(/^switchboard-audit-.*\.jsonl$/);
    const lines = readFileSync(await jsonl.path(), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(lines).toHaveLength(TEAMS);
    expect(new Set(lines.map((line) => `${line.actorName} ${line.action}`))).toEqual(new Set([`${operator.username} team.created`]));
    // Oldest first, with the chain hashes so the file can be verified outside Switchboard.
    expect(lines.every((line) => /^[0-9a-f]{64}$/.test(line.hash) && typeof line.prevHash === 'string')).toBe(true);

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    const rows = readFileSync(await csv.path(), 'utf8').trim().split('\n');
    expect(rows[0].split(',').slice(0, 3)).toEqual(['seq', 'id', 'occurredAt']);
    expect(rows).toHaveLength(TEAMS + 1);
    expect(errors).toEqual([]);
  });

  it('offers an auditor nothing that changes anything', async () => {
    const { page, errors } = await auditorPage();
    await page.goto('/admin/users');
    await page.getByRole('tab', { name: 'Users' }).waitFor();
    await page.getByRole('cell', { name: operator.username }).first().waitFor();
    expect(await page.getByRole('button', { name: 'New user' }).count()).toBe(0);
    await page.getByRole('tab', { name: 'Role bindings' }).click();
    await page.getByRole('columnheader', { name: 'Role' }).waitFor();
    expect(await page.getByRole('form', { name: 'Grant a role' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Revoke / }).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
