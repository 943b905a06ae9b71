import type TestAgent from 'supertest/lib/agent';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAgent, startTestApi, type TestApi, uniqueName } from '../support/test-api';
import { startTestWorker, type TestWorker } from '../support/test-worker';
import { bind } from '../factories/access';
import { createProcedure, createProject } from '../factories/procedures';
import { createUser, type TestUser } from '../factories/users';
import { launchBrowser, newContext, screenshot, signInByApi, watchForPageErrors } from './support/browser';

describe('browser: an author proposes a change and an owner reviews it', () => {
  let api: TestApi;
  let worker: TestWorker;
  let admin: TestAgent;
  let browser: Browser;
  let author: TestUser;
  let owner: TestUser;
  let runner: TestUser;
  let procedure: { id: string; name: string };
  let restart: { id: string; name: string };
  const contexts: BrowserContext[] = [];
  const group = uniqueName('web-review');

  beforeAll(async () => {
    [api, worker, browser] = await Promise.all([startTestApi(), startTestWorker({ SWITCHBOARD_WORKER_GROUPS: group }), launchBrowser()]);
    admin = await loginAgent(api);
    const project = await createProject(admin);
    procedure = await createProcedure(admin, project.id, {
      name: 'nightly-backup',
      description: 'Backs up the ledger database.',
      steps: [{ name: 'backup', run: 'echo "v1 backup"' }],
    });
    restart = await createProcedure(admin, project.id, {
      name: 'restart-service',
      description: 'Restarts a service; production needs a second pair of eyes.',
      parameters: { environment: { type: 'string', enum: ['staging', 'production'], default: 'staging' } },
      steps: [{ name: 'restart', run: 'echo "restarting in $PARAM_ENVIRONMENT"' }],
      approval: { when: "environment == 'production'", approvers: 1 },
      worker_group: group,
    });
    // Review is switched on after v1, so the procedure has an active version to diff against.
    expect((await admin.patch(`/api/v1/projects/${project.id}`).send({ requireReview: true })).status).toBe(200);
    author = await createUser(admin, 'author', { displayName: 'Ari Author' });
    owner = await createUser(admin, 'owner', { displayName: 'Olu Owner' });
    await bind(admin, { type: 'user', id: author.id }, 'author', { type: 'project', id: project.id });
    await bind(admin, { type: 'user', id: owner.id }, 'owner', { type: 'project', id: project.id });
    runner = await createUser(admin, 'runner', { displayName: 'Rui Runner' });
    await bind(admin, { type: 'user', id: runner.id }, 'runner', { type: 'procedure', id: restart.id });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await worker?.close();
    await api?.close();
  });

  async function pageFor(user: TestUser): Promise<{ page: Page; errors: string[] }> {
    const context = await newContext(browser, api.url);
    contexts.push(context);
    await signInByApi(context, user.username, user.password);
    const page = await context.newPage();
    return { page, errors: watchForPageErrors(page) };
  }

  /** Replaces the editor's text the way a paste would (typing would trigger auto-indent). */
  async function replaceDefinition(page: Page, text: string): Promise<void> {
    const editor = page.getByRole('textbox', { name: 'Procedure definition (YAML)' });
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(text);
  }

  const definition = (extra: string): string => `name: ${procedure.name}
description: Backs up the ledger database, keeping copies for a while.
parameters:
  retention_days: { type: integer, min: 1, max: 90, default: 14, description: How long to keep the copy }
steps:
  - name: backup
    run: |
      echo "v2 backup, kept $PARAM_RETENTION_DAYS days"
${extra}`;

  it('shows the server\'s errors at their lines, previews the form, and lets an owner approve the new version', async () => {
    const { page, errors } = await pageFor(author);
    await page.goto(`/procedures/${procedure.id}`);
    await page.getByRole('tab', { name: 'Propose a change' }).click();
    await page.waitForURL(`**/procedures/${procedure.id}/edit`);
    const editor = page.getByRole('textbox', { name: 'Procedure definition (YAML)' });
    await editor.getByText('v1 backup').waitFor();

    // A mistake the server finds is shown in the editor, at its line.
    await replaceDefinition(page, definition('    retries_typo: 3\n'));
    const preview = page.getByRole('region', { name: 'Run form preview' });
    await preview.getByRole('textbox', { name: 'retention_days' }).waitFor();
    expect(await preview.getByRole('textbox', { name: 'retention_days' }).inputValue()).toBe('14');
    await page.getByRole('button', { name: 'Propose and submit for review' }).click();
    const problems = page.getByTestId('definition-problems');
    await problems.getByText(/retries_typo/).waitFor();
    await problems.getByRole('button', { name: 'line 9' }).waitFor();
    await page.locator('.cm-error-marker[title*="retries_typo"]').waitFor();
    expect(await page.locator('.cm-line.cm-error-line').count()).toBeGreaterThan(0);
    await screenshot(page, 'authoring');

    // Fixed, it is saved as version 2 and goes to review; the author cannot approve their own change.
    await replaceDefinition(page, definition(''));
    await page.getByRole('button', { name: 'Propose and submit for review' }).click();
    await page.waitForURL(`**/procedures/${procedure.id}/versions/2`);
    await page.getByTestId('version-status').getByText('in review').waitFor();
    await page.getByText('Waiting for a reviewer.').waitFor();
    expect(await page.getByRole('button', { name: 'Approve and activate' }).count()).toBe(0);
    expect(errors).toEqual([]);

    // The owner finds it in the approvals inbox, reads the diff and approves it.
    const review = await pageFor(owner);
    await review.page.goto('/approvals');
    const item = review.page.getByTestId('approval-item').filter({ hasText: procedure.name });
    await item.getByText('version 2').waitFor();
    await item.getByRole('link', { name: 'Review the diff' }).click();
    await review.page.waitForURL(`**/procedures/${procedure.id}/versions/2`);
    const diff = review.page.getByTestId('definition-diff');
    await diff.getByText('steps.backup.run').waitFor();
    await diff.getByText('+echo "v2 backup, kept $PARAM_RETENTION_DAYS days"').waitFor();
    await diff.getByText('-echo "v1 backup"').waitFor();
    await diff.getByText('parameters.retention_days').waitFor();
    await screenshot(review.page, 'review-diff');
    await review.page.getByLabel('Comment').fill('Retention looks right.');
    await review.page.getByRole('button', { name: 'Approve and activate' }).click();
    await review.page.getByTestId('version-status').getByText('active').waitFor();
    expect(review.errors).toEqual([]);

    const active = await admin.get(`/api/v1/procedures/${procedure.id}`);
    expect(active.body.version).toBe(2);
    const versions = await admin.get(`/api/v1/procedures/${procedure.id}/versions`);
    expect(versions.body.items.map((v: { version: number; status: string }) => [v.version, v.status]).sort()).toEqual([[1, 'superseded'], [2, 'active']]);
  });

  it('holds a production run for approval; the owner approves it from the inbox and it runs', async () => {
    const { page, errors } = await pageFor(runner);
    await page.goto(`/procedures/${restart.id}`);
    const form = page.getByRole('form', { name: 'Run parameters' });
    await page.getByTestId('approval-note').getByText("environment == 'production'").waitFor();
    await form.getByRole('textbox', { name: 'environment' }).click();
    await page.getByRole('option', { name: 'production' }).click();
    await form.getByRole('button', { name: `Run ${restart.name}` }).click();
    await page.waitForURL(/\/executions\//);
    const executionUrl = page.url();
    await page.getByTestId('execution-status').getByText('pending approval').waitFor();
    const panel = page.getByTestId('approval-panel');
    await panel.getByText(/other than/).waitFor();
    expect(await panel.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    const approver = await pageFor(owner);
    await approver.page.goto('/approvals');
    const item = approver.page.getByTestId('approval-item').filter({ hasText: restart.name });
    await item.getByText('environment=production').waitFor();
    await item.getByRole('textbox').fill('Go ahead, change window is open.');
    await item.getByRole('button', { name: 'Approve' }).click();
    await item.waitFor({ state: 'detached' });
    await approver.page.getByText('Nothing is waiting for you.').waitFor();

    // The requester's page follows the run through to the end, with the decision recorded.
    await page.goto(executionUrl);
    await page.getByTestId('execution-status').getByText('succeeded').waitFor({ timeout: 20_000 });
    await page.getByRole('log', { name: 'Execution output' }).getByText('restarting in production').waitFor();
    await page.getByTestId('approval-decisions').getByText('Go ahead, change window is open.', { exact: false }).waitFor();
    expect(errors).toEqual([]);
    expect(approver.errors).toEqual([]);
  });
});
