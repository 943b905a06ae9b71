import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type TestAgent from 'supertest/lib/agent';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAgent, startTestApi, type TestApi, uniqueName } from '../support/test-api';
import { startTestWorker, type TestWorker } from '../support/test-worker';
import { bind } from '../factories/access';
import { runProcedure, waitForStatus } from '../factories/procedures';
import { createUser, type TestUser } from '../factories/users';
import { DEMO_PROCEDURES } from '../../scripts/demo-seed';
import { launchBrowser, newContext, screenshot, signInByApi, watchForPageErrors } from './support/browser';

const SCREENSHOTS = process.env.SWITCHBOARD_SCREENSHOTS === '1';

/** Marks, from inside the page, when the catalog first appears (rAF resolution, no polling from the test). */
const CATALOG_PROBE = `
  window.__catalogVisibleAt = null;
  const look = () => {
    if (document.querySelector('[data-testid="catalog"]')) window.__catalogVisibleAt = performance.now();
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
`;

interface LoadTiming {
  domContentLoadedMs: number;
  loadMs: number;
  catalogVisibleMs: number;
  transferredKb: number;
  requests: number;
}

describe('browser: an operator\'s first visit (catalog, run form, live output, audit log)', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;
  let browser: Browser;
  let dana: TestUser;
  let gateDir: string;
  let projectId: string;
  const ids: Record<string, string> = {};
  const contexts: BrowserContext[] = [];
  const group = SCREENSHOTS ? 'payments-workers' : uniqueName('web-first-visit');

  beforeAll(async () => {
    [api, worker, browser] = await Promise.all([startTestApi(), startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group }), launchBrowser()]);
    admin = await loginAgent(api);
    gateDir = mkdtempSync(join(tmpdir(), 'switchboard-browser-gate-'));
    // Screenshots want tidy names; in a normal run names stay unique like every other test's.
    const projectName = SCREENSHOTS ? 'payments' : uniqueName('payments');
    const project = await admin.post('/api/v1/projects').send({ name: projectName, description: 'Payments platform operations' });
    expect(project.status).toBe(201);
    projectId = project.body.id as string;
    const create = async (source: string): Promise<void> => {
      const response = await admin.post(`/api/v1/projects/${projectId}/procedures`).set('Content-Type', 'application/yaml').send(`${source.trimEnd()}\nworker_group: ${group}\n`);
      expect(response.status, JSON.stringify(response.body)).toBe(201);
      ids[response.body.name as string] = response.body.id as string;
    };
    for (const source of DEMO_PROCEDURES) await create(source);
    await create(`name: restart-service
description: Restart one service in one environment and check it came back.
parameters:
  service: { type: string, enum: [api, worker, scheduler], required: true, description: Which service }
  environment: { type: string, enum: [staging, production], default: staging }
  reason: { type: string, pattern: "^[A-Z]+-[0-9]+$", required: true, description: "Ticket id, e.g. OPS-123" }
  replicas: { type: integer, min: 1, max: 10, default: 2, description: How many replicas to restart at once }
  regions: { type: array, items: { type: string, enum: [eu-west, us-east, ap-south] }, default: [eu-west], label: Regions }
  drain: { type: boolean, default: true, description: Drain connections before restarting }
  token: { type: string, secret: true, description: Deploy token (never stored in clear) }
steps:
  - name: restart
    run: echo "restarting $PARAM_SERVICE in $PARAM_ENVIRONMENT"
approval: { when: "environment == 'production'", approvers: 1 }
timeout: 10m
tags: [ops]
`);
    await create(`name: canary-deploy
description: Builds, deploys a canary and verifies it, with coloured output.
parameters:
  version: { type: string, default: "2.14.0", description: Release to deploy }
steps:
  - name: build
    run: |
      for i in $(seq 1 40); do printf '\\033[36m[build]\\033[0m compiling module %02d of 40 … \\033[32mok\\033[0m\\n' "$i"; done
      echo "artifact=payments-$PARAM_VERSION.tar.gz" >> "$SWITCHBOARD_OUTPUT"
  - name: deploy
    run: |
      echo "deploying $STEP_BUILD_ARTIFACT to the canary pool"
      printf '\\033[33mwarning:\\033[0m pool eu-west-2 is at 82%% capacity\\n'
      echo "error budget check: 0 failed requests in the last 5 minutes" >&2
      for i in 1 2 3 4 5 6; do printf 'canary %d/6 \\033[1;32mhealthy\\033[0m (p95 %d ms)\\n' "$i" $((120 + i * 3)); done
      echo "waiting for traffic to settle…"
      while [ ! -f ${join(gateDir, 'go')} ]; do sleep 0.05; done
      echo "traffic settled"
  - name: verify
    run: echo "verified"
timeout: 5m
`);
    dana = await createUser(admin, 'dana', { displayName: 'Dana Okafor' });
    await bind(admin, { type: 'user', id: dana.id }, 'owner', { type: 'project', id: projectId });
    await bind(admin, { type: 'user', id: dana.id }, 'auditor', { type: 'global' });
    // Some history, so the catalog has last runs and success rates to show.
    const agent = await loginAgent(api, dana.username, dana.password);
    const runs = [
      await runProcedure(agent, ids['hello-world'], { name: 'Ada' }),
      await runProcedure(agent, ids['hello-world'], { name: 'Grace' }),
      await runProcedure(agent, ids['always-fails']),
      await runProcedure(agent, ids['python-report'], { environment: 'staging', days: 3, include_errors: true, ticket: 'OPS-7' }),
      await runProcedure(agent, ids['restart-service'], { service: 'api', reason: 'OPS-12', token: 'not-shown' }),
    ];
    for (const run of runs) await waitForStatus(agent, run.id, 'terminal');
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await worker?.close();
    await api?.close();
    if (gateDir) rmSync(gateDir, { recursive: true, force: true });
  });

  async function danaContext(): Promise<BrowserContext> {
    const context = await newContext(browser, api.url);
    contexts.push(context);
    await signInByApi(context, dana.username, dana.password);
    return context;
  }

  it('revalidates the page on every load and caches content-hashed assets for a year', async () => {
    const page = await api.http.get('/');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect((await api.http.get('/index.html')).headers['cache-control']).toBe('no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(asset).toBeDefined();
    const script = await api.http.get(asset!).set('Accept-Encoding', 'br');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('shows the catalog quickly on a first, uncached load, grouped by project with last runs and success rates', async () => {
    const context = await danaContext();
    const page = await context.newPage();
    const errors = watchForPageErrors(page);
    await page.addInitScript({ content: CATALOG_PROBE });
    await page.goto('/', { waitUntil: 'load' });
    const catalog = page.getByTestId('catalog');
    await catalog.waitFor();
    await catalog.locator(`article[data-procedure="hello-world"]`).getByText(/100% succeeded/).waitFor();
    await catalog.locator(`article[data-procedure="always-fails"]`).getByText(/0% succeeded/).waitFor();
    const timing = JSON.parse(await page.evaluate(`JSON.stringify((() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const resources = performance.getEntriesByType('resource');
      return {
        domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
        loadMs: Math.round(nav.loadEventEnd),
        catalogVisibleMs: Math.round(window.__catalogVisibleAt),
        transferredKb: Math.round((nav.transferSize + resources.reduce((sum, r) => sum + (r.transferSize || 0), 0)) / 1024),
        requests: resources.length + 1,
      };
    })())`) as string) as LoadTiming;
    process.stdout.write(`\nweb first load (cold cache, local server): ${JSON.stringify(timing)}\n`);
    expect(timing.catalogVisibleMs).toBeGreaterThan(0);
    expect(timing.catalogVisibleMs).toBeLessThan(10_000);
    await page.getByRole('heading', { name: 'Catalog' }).waitFor();
    await screenshot(page, 'catalog');
    expect(errors).toEqual([]);
  });

  it('draws the run form with the right inputs, help, validation and the approval note', async () => {
    const context = await danaContext();
    const page = await context.newPage();
    const errors = watchForPageErrors(page);
    await page.goto(`/procedures/${ids['restart-service']}`);
    const form = page.getByRole('form', { name: 'Run parameters' });
    await form.waitFor();
    await form.getByText('Drain connections before restarting').waitFor();
    await page.getByTestId('approval-note').getByText("environment == 'production'").waitFor();
    await form.getByRole('textbox', { name: 'reason' }).fill('urgent');
    await form.getByRole('textbox', { name: 'reason' }).blur();
    await form.getByText('must match the pattern ^[A-Z]+-[0-9]+$').waitFor();
    await form.getByRole('textbox', { name: 'service' }).click();
    await page.getByRole('option', { name: 'worker' }).click();
    await form.getByLabel('token').fill('hunter2-hunter2');
    await screenshot(page, 'run-form');
    expect(errors).toEqual([]);
  });

  it('follows a live execution with coloured output, steps and a follow button', async () => {
    const context = await danaContext();
    const page = await context.newPage();
    const errors = watchForPageErrors(page);
    const run = await (await loginAgent(api, dana.username, dana.password)).post(`/api/v1/procedures/${ids['canary-deploy']}/executions`).set('x-switchboard-client', 'web').send({ params: {} });
    expect(run.status).toBe(201);
    await page.goto(`/executions/${run.body.id}`);
    const output = page.getByRole('log', { name: 'Execution output' });
    await output.getByText('waiting for traffic to settle…').waitFor();
    await page.locator('[data-step="build"]').getByText('succeeded').waitFor();
    await page.locator('[data-step="deploy"]').getByText('running').waitFor();
    await screenshot(page, 'execution-live');
    // Scrolling up stops following; the button brings it back.
    await output.hover();
    await page.mouse.wheel(0, -2000);
    await page.getByRole('button', { name: 'Follow output' }).waitFor();
    await page.getByRole('button', { name: 'Follow output' }).click();
    await expect.poll(() => output.getAttribute('data-following')).toBe('true');
    writeFileSync(join(gateDir, 'go'), '');
    await page.getByTestId('execution-status').getByText('succeeded').waitFor({ timeout: 20_000 });
    await output.getByText('verified', { exact: true }).waitFor();
    await page.getByTestId('execution-outputs').getByText(/payments-2\.14\.0/).waitFor();
    // Dark mode, from the header toggle.
    await page.getByRole('button', { name: 'Switch to dark mode' }).click();
    await page.locator('html[data-mantine-color-scheme="dark"]').waitFor({ state: 'attached' });
    await page.mouse.move(100, 700);
    await page.getByRole('tooltip').waitFor({ state: 'detached' });
    await screenshot(page, 'execution-dark');
    expect(errors).toEqual([]);
  });

  it('shows an auditor the project\'s audit events with details and the chain check', async () => {
    const context = await danaContext();
    const page = await context.newPage();
    const errors = watchForPageErrors(page);
    await page.goto(`/audit?project=${projectId}`);
    const table = page.getByTestId('audit-table');
    await table.locator('tr[data-action="execution.started"]').first().waitFor();
    await page.getByTestId('chain-status').getByText(/events verified|Chain broken/).waitFor({ timeout: 30_000 });
    await screenshot(page, 'audit-log');
    await table.locator('tr[data-action="project.created"]').first().click();
    await page.getByRole('dialog').getByText('After').waitFor();
    await screenshot(page, 'audit-event');
    expect(errors).toEqual([]);
  });

  it('creates an API token that is shown once, works, and can be revoked', async () => {
    const context = await danaContext();
    const page = await context.newPage();
    const errors = watchForPageErrors(page);
    await page.goto('/');
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'API tokens' }).click();
    const form = page.getByRole('form', { name: 'New token' });
    await form.getByLabel('Name').fill('ci-deploys');
    await form.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your new token' });
    const token = (await dialog.getByTestId('new-token').textContent())?.trim() ?? '';
    expect(token.length).toBeGreaterThan(20);
    const me = await fetch(`${api.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe(dana.username);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: 'ci-deploys', exact: true }).waitFor();
    expect(await page.content()).not.toContain(token);
    await page.getByRole('button', { name: 'Revoke token ci-deploys' }).click();
    await page.getByRole('dialog', { name: 'Revoke this token?' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('cell', { name: 'ci-deploys', exact: true }).waitFor({ state: 'detached' });
    expect((await fetch(`${api.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect(errors).toEqual([]);
  });
});
