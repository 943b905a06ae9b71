import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type TestAgent from 'supertest/lib/agent';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAgent, startTestApi, type TestApi, uniqueName } from '../support/test-api';
import { startTestWorker, type TestWorker } from '../support/test-worker';
import { bind } from '../factories/access';
import { createProcedure, createProject, waitForStatus } from '../factories/procedures';
import { createUser, type TestUser } from '../factories/users';
import { launchBrowser, newContext, signInByApi, watchForPageErrors } from './support/browser';

describe('browser: a runner runs procedures from the web form', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;
  let browser: Browser;
  let runner: TestUser;
  let gateDir: string;
  let deploy: { id: string; name: string };
  let countdown: { id: string; name: string };
  let hidden: { id: string; name: string };
  let chatty: { id: string; name: string };
  const contexts: BrowserContext[] = [];
  // A worker group of this file's own: no other test file's worker (or its shutdown) touches these runs.
  const group = uniqueName('web-runner');

  beforeAll(async () => {
    [api, worker, browser] = await Promise.all([startTestApi(), startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group }), launchBrowser()]);
    admin = await loginAgent(api);
    const project = await createProject(admin);
    // The step waits for a file the test writes once the browser shows the first lines: proof they arrived live.
    gateDir = mkdtempSync(join(tmpdir(), 'switchboard-browser-gate-'));
    deploy = await createProcedure(admin, project.id, {
      name: 'deploy-check',
      description: 'Checks a deployment, step by step.',
      parameters: {
        environment: { type: 'string', enum: ['staging', 'production'], default: 'staging', description: 'Where to check' },
        ticket: { type: 'string', pattern: '^[A-Z]+-[0-9]+$', required: true, description: 'Ticket id, e.g. OPS-123' },
        replicas: { type: 'integer', min: 1, max: 5, default: 3 },
        regions: { type: 'array', items: { type: 'string', enum: ['eu', 'us', 'ap'] }, default: ['eu'] },
        dry_run: { type: 'boolean', default: true, description: 'Only print what would happen' },
        token: { type: 'string', secret: true, description: 'Deploy token' },
      },
      steps: [
        {
          name: 'check',
          run: [
            'echo "checking $PARAM_ENVIRONMENT for $PARAM_TICKET in $PARAM_REGIONS"',
            "printf '\\033[32mgreen ok\\033[0m\\n'",
            'echo "warning: slow disk" >&2',
            'echo "token is $PARAM_TOKEN"',
            'echo "waiting for go"',
            `while [ ! -f ${join(gateDir, 'go')} ]; do sleep 0.05; done`,
            'echo "go received"',
            'echo "result=healthy" >> "$SWITCHBOARD_OUTPUT"',
          ].join('\n'),
        },
        { name: 'report', run: 'echo "report: $STEP_CHECK_RESULT"' },
      ],
      timeout: '2m',
      worker_group: group,
    });
    countdown = await createProcedure(admin, project.id, {
      name: 'countdown',
      description: 'Counts down, one line a second.',
      parameters: { seconds: { type: 'integer', min: 1, max: 3600, default: 60 } },
      steps: [{ name: 'count', run: 'for i in $(seq "$PARAM_SECONDS" -1 1); do echo "$i…"; sleep 1; done; echo liftoff' }],
      timeout: '5m',
      worker_group: group,
    });
    chatty = await createProcedure(admin, project.id, {
      name: 'chatty',
      description: 'Prints a hundred thousand lines.',
      worker_group: group,
      steps: [{ name: 'print', run: "seq -f 'row %g of 100000' 1 100000; printf '\\033[31mlast row in red\\033[0m\\n'" }],
    });
    hidden = await createProcedure(admin, project.id, { name: 'drop-database', description: 'Not for runners.', steps: [{ name: 'drop', run: 'echo no' }] });
    runner = await createUser(admin, 'runner', { displayName: 'Rita Runner' });
    await bind(admin, { type: 'user', id: runner.id }, 'runner', { type: 'procedure', id: deploy.id });
    await bind(admin, { type: 'user', id: runner.id }, 'runner', { type: 'procedure', id: countdown.id });
    await bind(admin, { type: 'user', id: runner.id }, 'runner', { type: 'procedure', id: chatty.id });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await worker?.close();
    await api?.close();
    if (gateDir) rmSync(gateDir, { recursive: true, force: true });
  });

  async function runnerPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await newContext(browser, api.url);
    contexts.push(context);
    await signInByApi(context, runner.username, runner.password);
    const page = await context.newPage();
    return { page, errors: watchForPageErrors(page) };
  }

  it('signs in, fills the form (fixing a validation error), runs, and watches lines arrive live until it succeeds', async () => {
    const context = await newContext(browser, api.url);
    contexts.push(context);
    const page = await context.newPage();
    const errors = watchForPageErrors(page);

    // A bookmarked page sends a signed-out user to sign-in, and back after it.
    await page.goto(`/procedures/${deploy.id}`);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel('Username').fill(runner.username);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not right');
    await page.getByLabel('Password').fill(runner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/procedures/${deploy.id}`);

    const form = page.getByRole('form', { name: 'Run parameters' });
    await form.waitFor();
    // Defaults are filled in.
    expect(await form.getByRole('textbox', { name: 'replicas' }).inputValue()).toBe('3');
    expect(await form.getByRole('checkbox', { name: 'dry_run' }).isChecked()).toBe(true);
    // A ticket that breaks the pattern is refused inline, before anything is sent.
    const ticket = form.getByRole('textbox', { name: 'ticket' });
    await ticket.fill('ops 42');
    await ticket.blur();
    await form.getByText('must match the pattern ^[A-Z]+-[0-9]+$').waitFor();
    await form.getByRole('button', { name: `Run ${deploy.name}` }).click();
    await form.getByText('One field needs attention.').waitFor();
    expect(page.url()).toContain(`/procedures/${deploy.id}`);
    await ticket.fill('OPS-42');
    await form.getByText('must match the pattern').waitFor({ state: 'detached' });
    // A multi-select and a masked secret.
    await form.getByRole('textbox', { name: 'regions' }).click({ force: true });
    await page.getByRole('option', { name: 'us' }).click();
    await page.keyboard.press('Escape');
    const token = form.getByLabel('token');
    expect(await token.getAttribute('type')).toBe('password');
    await token.fill('s3cret-value');
    await form.getByRole('button', { name: `Run ${deploy.name}` }).click();

    await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/);
    const executionId = page.url().split('/').pop() as string;
    const output = page.getByRole('log', { name: 'Execution output' });
    await output.getByText('waiting for go').waitFor();
    // The first lines are on screen while the step is still running and has not printed the rest.
    await page.getByTestId('execution-status').getByText('running').waitFor();
    expect(await output.getByText('go received').count()).toBe(0);
    // ANSI colours become styled text; stderr is marked as such; the secret never shows.
    expect(await output.getByText('green ok', { exact: true }).getAttribute('style')).toContain('var(--ansi-green)');
    expect(await output.locator('[data-stream="stderr"]').filter({ hasText: 'warning: slow disk' }).count()).toBe(1);
    await output.getByText('token is ***').waitFor();

    writeFileSync(join(gateDir, 'go'), '');
    await output.getByText('go received').waitFor();
    await page.getByTestId('execution-status').getByText('succeeded').waitFor({ timeout: 20_000 });
    await output.getByText('report: healthy').waitFor();
    // Who, what and how it went: parameters with the secret masked, steps with exit codes, outputs.
    const params = page.getByTestId('execution-params');
    await params.getByText('OPS-42').waitFor();
    await params.getByText('eu, us').waitFor();
    expect(await params.textContent()).toContain('***');
    await page.locator('[aria-label="Steps"]').getByText('exit code').first().waitFor();
    await page.getByTestId('execution-outputs').getByText('healthy').waitFor();
    expect(await page.content()).not.toContain('s3cret-value');
    expect((await waitForStatus(admin, executionId, 'terminal')).status).toBe('succeeded');
    expect(errors).toEqual([]);
  });

  it('cancels a running countdown', async () => {
    const { page, errors } = await runnerPage();
    await page.goto(`/procedures/${countdown.id}`);
    await page.getByRole('button', { name: `Run ${countdown.name}` }).click();
    await page.waitForURL(/\/executions\//);
    await page.getByRole('log', { name: 'Execution output' }).getByText('60…').waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByTestId('execution-status').getByText('canceled').waitFor({ timeout: 20_000 });
    // Finished: no cancel any more; a re-run is offered to someone who may run it.
    await page.getByRole('button', { name: 'Re-run' }).waitFor();
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('keeps 100,000 lines of output fast: only the visible rows are in the page, and the download has them all', { timeout: 180_000 }, async () => {
    const { page, errors } = await runnerPage();
    await page.goto(`/procedures/${chatty.id}`);
    await page.getByRole('button', { name: `Run ${chatty.name}` }).click();
    await page.waitForURL(/\/executions\//);
    const started = Date.now();
    const output = page.getByRole('log', { name: 'Execution output' });
    await output.getByText('last row in red').waitFor({ timeout: 60_000 });
    const seconds = (Date.now() - started) / 1000;
    await page.getByTestId('execution-status').getByText('succeeded').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('line-count').textContent()).toMatch(/^100,0\d\d lines$/);
    process.stdout.write(`\nweb log viewer: 100,000 lines shown live in ${seconds.toFixed(1)} s; ${await output.locator('.log-row').count()} rows in the DOM\n`);
    expect(await output.locator('.log-row').count()).toBeLessThan(150);
    // Going to the top stops following; the first line is there, and "Follow" brings the end back.
    await output.focus();
    await page.keyboard.press('Home');
    await output.getByText('row 1 of 100000', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Follow output' }).click();
    await output.getByText('last row in red').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    expect(text.split('\n').filter((line) => / row \d+ of 100000$/.test(line))).toHaveLength(100_000);
    expect(text).toContain('last row in red');
    expect(text).not.toContain('\u001b[');
    // Opening the finished run replays every stored line.
    const reopened = Date.now();
    await page.reload();
    await output.getByText('last row in red').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('line-count').textContent()).toMatch(/^100,0\d\d lines$/);
    process.stdout.write(`web log viewer: a finished 100,000-line run replayed in ${((Date.now() - reopened) / 1000).toFixed(1)} s\n`);
    expect(errors).toEqual([]);
  });

  it('does not show a runner the procedures they may not run', async () => {
    const { page, errors } = await runnerPage();
    await page.goto('/');
    const catalog = page.getByTestId('catalog');
    await catalog.getByRole('link', { name: deploy.name, exact: true }).waitFor();
    await catalog.getByRole('link', { name: countdown.name, exact: true }).waitFor();
    expect(await page.getByText(hidden.name).count()).toBe(0);
    // Searching does not reveal it either, and its address answers "not found".
    await page.getByLabel('Search procedures').fill('drop-database');
    await page.getByText(/No procedure matches/).waitFor();
    await page.goto(`/procedures/${hidden.id}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    // Nor is anything else offered that a runner may not use.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Catalog' }).waitFor();
    for (const name of ['Audit log', 'Administration', 'Approvals']) expect(await nav.getByRole('link', { name }).count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('takes a user whose session ended to sign-in, and back to where they were', async () => {
    const { page } = await runnerPage();
    await page.goto(`/procedures/${countdown.id}`);
    await page.getByRole('form', { name: 'Run parameters' }).waitFor();
    // The session ends behind the page's back (expiry, or signing out in another tab).
    const ended = await page.request.post('/api/v1/auth/logout', { headers: { 'x-requested-with': 'switchboard' } });
    expect(ended.status()).toBe(204);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).click();
    await page.waitForURL(/\/sign-in\?next=%2F/);
    await page.getByText('Your session has ended').waitFor();
    await page.getByLabel('Username').fill(runner.username);
    await page.getByLabel('Password').fill(runner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('catalog').waitFor();
  });
});
