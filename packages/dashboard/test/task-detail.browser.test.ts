/**
 * The task page in a real Chromium, against a running engine on PGlite behind the REST API on
 * 127.0.0.1. A task whose `charge` step fails for good (its retry spent), after its `fetch`
 * step timed out once, is opened from its URL: the DAG shows each step's state by class, icon
 * and text, and the critical path; the timeline shows every attempt and both backoffs. `charge`
 * is retried from the page and the task completes on the page. Other tasks are resolved by hand
 * (with a result its child receives) and cancelled from the page, the cancel by keyboard alone.
 * With JWT on and a token without the permissions, each action shows the API's 403. No console
 * error, no CSP violation, no request off 127.0.0.1.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPgliteStore,
  createTasker,
  defineTask,
  RetryableError,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import { createJwtAuthenticator, createTaskerApi, type RunningServer } from '@tasker/orchestrator/api';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../../../test-support/src/browser';
import { createTaskerDashboard } from '../src/index';
import { offHost, SECRET, tokenWith, watch } from './support/page-watch';

/** Tasks whose `charge` now succeeds (the test "fixes" the payment provider before a retry). */
const healed = new Set<string>();

const flaky = defineTask({
  namespace: 'shop',
  name: 'flaky',
  version: '1.0.0',
  backoff: { delaysMs: [300], jitter: 0 },
  steps: [
    {
      name: 'fetch',
      timeoutMs: 300,
      retryLimit: 1,
      // The first attempt hangs until its timeout aborts it; the second answers.
      handler: async ({ attempt, signal }) => {
        if (attempt === 1) {
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
        }
        return { fetched: true };
      },
    },
    {
      name: 'charge',
      dependsOn: ['fetch'],
      retryLimit: 1,
      handler: async ({ taskId }) => {
        if (!healed.has(taskId)) throw new RetryableError('payment provider unavailable');
        return { charged: 120 };
      },
    },
    { name: 'ship', dependsOn: ['charge'], handler: async ({ results }) => ({ shipped: results.charge }) },
  ],
});

describeWithBrowser('the task page in chromium', (browser) => {
  let store: TaskStore;
  let tasker: Tasker;
  let open: RunningServer;
  let guarded: RunningServer;
  let openPath: string;
  let guardedPath: string;
  let context: BrowserContext;
  let keeper: Page | undefined;
  const failed: string[] = [];

  beforeAll(async () => {
    context = await browser().newContext();
    keeper = await context.newPage();
    store = await createPgliteStore();
    tasker = createTasker({ store, tasks: [flaky], onError: () => {} });
    await tasker.start();
    const api = createTaskerApi({ tasker });
    openPath = createTaskerDashboard({ api }).path;
    open = await api.listen();
    const jwtApi = createTaskerApi({
      tasker,
      auth: { authenticate: createJwtAuthenticator({ secret: SECRET }) },
    });
    guardedPath = createTaskerDashboard({ api: jwtApi }).path;
    guarded = await jwtApi.listen();
    // Three tasks that end in error: one to retry, one to resolve, one to cancel.
    for (let i = 0; i < 3; i++) {
      const { taskId } = await tasker.submit({
        namespace: 'shop',
        name: 'flaky',
        version: '1.0.0',
        context: { order: i },
      });
      failed.push(taskId);
    }
    for (const id of failed) expect((await tasker.waitFor(id, { timeoutMs: 30_000 })).state).toBe('error');
  }, 90_000);
  afterAll(async () => {
    // The browser side first: once its connections are gone, no server waits on one to close.
    await keeper?.close();
    await context?.close();
    await open?.close();
    await guarded?.close();
    await tasker?.stop();
    await store?.close();
  });

  /** Opens a task's page from its URL (on the open API) and waits for it. */
  async function openTask(id: string) {
    const page = await context.newPage();
    const seen = await watch(page);
    const response = await page.goto(`${open.url}${openPath}#task/${id}`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector(`[data-task-id="${id}"]`, { timeout: 15_000 });
    return { page, seen };
  }
  const attempts = (page: Page) =>
    page.$$eval('svg.gantt g.attempt', (gs) =>
      gs.map(
        (g) =>
          `${g.getAttribute('data-step')}#${g.getAttribute('data-run')} ${g.getAttribute('data-outcome')}${g.getAttribute('data-timeout') ? ' timeout' : ''}`,
      ),
    );
  const backoffs = (page: Page) =>
    page.$$eval('svg.gantt g.backoff', (gs) =>
      gs.map((g) => `${g.getAttribute('data-step')} after #${g.getAttribute('data-after')}`),
    );
  const nodeStates = (page: Page) =>
    page.$$eval('svg.dag g.node', (gs) =>
      gs.map((g) => `${g.getAttribute('data-step')} ${g.getAttribute('data-state')}`),
    );
  const clean = (seen: { errors: string[]; violations: string[]; requested: string[] }) => {
    expect(seen.errors).toEqual([]);
    expect(seen.violations).toEqual([]);
    expect(offHost(seen.requested)).toEqual([]);
  };

  it('shows a failed task from its URL, retries its step, and follows it to complete', async () => {
    const id = failed[0] as string;
    const { page, seen } = await openTask(id);
    try {
      expect(await page.getAttribute('[data-task-status]', 'data-task-status')).toBe('error');
      expect(await nodeStates(page)).toEqual(['fetch complete', 'charge error', 'ship pending']);
      // State by icon and text too, not only colour.
      expect(await page.textContent('svg.dag g.node[data-step="charge"] .step-state')).toBe(
        '✖ error · 2 attempts',
      );
      expect(await attempts(page)).toEqual([
        'fetch#1 waiting_for_retry timeout',
        'fetch#2 complete',
        'charge#1 waiting_for_retry',
        'charge#2 error',
      ]);
      expect(await backoffs(page)).toEqual(['fetch after #1', 'charge after #1']);
      expect(await page.textContent('svg.gantt g.attempt[data-step="fetch"][data-run="1"] text')).toBe(
        '↻1 timeout',
      );
      expect(await page.textContent('[data-step-error="charge"]')).toContain('payment provider unavailable');
      expect(await page.textContent('[data-error-chain="charge"]')).toContain('it holds back ship');
      // The transition log has the exhausted attempt.
      expect(await page.locator('tr[data-step="charge"][data-to="error"]').count()).toBe(1);

      healed.add(id);
      await page.click('[data-actions="charge"] [data-action="retry"]');
      await page.waitForSelector('[data-task-status="complete"]', { timeout: 20_000 });
      expect(await nodeStates(page)).toEqual(['fetch complete', 'charge complete', 'ship complete']);
      expect(await attempts(page)).toEqual([
        'fetch#1 waiting_for_retry timeout',
        'fetch#2 complete',
        'charge#1 waiting_for_retry',
        'charge#2 error',
        'charge#3 complete',
        'ship#1 complete',
      ]);
      // The critical path runs through every step, on the DAG and in words.
      expect(
        await page.$$eval('svg.dag g.node[data-critical]', (gs) =>
          gs.map((g) => g.getAttribute('data-step')),
        ),
      ).toEqual(['fetch', 'charge', 'ship']);
      expect(await page.locator('svg.dag path.edge.critical').count()).toBe(2);
      expect(await page.textContent('[data-critical-path]')).toContain('fetch → charge → ship');
      // Light and dark: the complete node's colours follow the system's preference.
      const fill = 'getComputedStyle(document.querySelector(\'g.node[data-step="ship"] rect\')).fill';
      await page.emulateMedia({ colorScheme: 'light' });
      const light = await page.evaluate(fill);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect([light, await page.evaluate(fill)]).toEqual(['rgb(230, 244, 234)', 'rgb(23, 48, 31)']);
      // Screenshots to a temporary folder (issue #15), light and dark.
      const shots = join(tmpdir(), 'tasker-dashboard-screenshots');
      mkdirSync(shots, { recursive: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.screenshot({ path: join(shots, 'task-detail-dark.png'), fullPage: true });
      await page.emulateMedia({ colorScheme: 'light' });
      await page.screenshot({ path: join(shots, 'task-detail-light.png'), fullPage: true });
      clean(seen);
      expect(seen.requested).toContain(
        `${open.url}/tasker/tasks/${id}/workflow_steps/${(await tasker.getTask(id))?.steps.find((s) => s.name === 'charge')?.id}/retry`,
      );
    } finally {
      await page.close();
    }
  }, 60_000);

  it('resolves a step by hand with a result its child receives', async () => {
    const id = failed[1] as string;
    const { page, seen } = await openTask(id);
    try {
      await page.click('[data-actions="charge"] [data-action="resolve"]');
      const dialog = page.locator('dialog.confirm[open]');
      await dialog.locator('textarea').fill('{"charged": "by hand"}');
      await dialog.locator('button[type="submit"]').click();
      await page.waitForSelector('[data-task-status="complete"]', { timeout: 20_000 });
      expect(await nodeStates(page)).toEqual(['fetch complete', 'charge resolved_manually', 'ship complete']);
      const ship = (await tasker.getTask(id))?.steps.find((s) => s.name === 'ship');
      expect(ship?.results).toEqual({ shipped: { charged: 'by hand' } });
      clean(seen);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('cancels a task by keyboard, after an Escape that changes nothing', async () => {
    const id = failed[2] as string;
    const { page, seen } = await openTask(id);
    try {
      await page.focus('[data-action="cancel"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('dialog.confirm[open]');
      // The safe choice has the focus; Escape closes without cancelling.
      expect(await page.evaluate('document.activeElement?.textContent')).toBe('Keep as it is');
      await page.keyboard.press('Escape');
      expect(await page.locator('dialog.confirm').count()).toBe(0);
      expect((await tasker.getTask(id))?.state).toBe('error');
      await page.focus('[data-action="cancel"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('dialog.confirm[open]');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-task-status="cancelled"]', { timeout: 20_000 });
      expect((await tasker.getTask(id))?.state).toBe('cancelled');
      expect(await nodeStates(page)).toEqual(['fetch complete', 'charge cancelled', 'ship cancelled']);
      clean(seen);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('shows the 403 of each action when the token lacks its permission', async () => {
    const { taskId: id } = await tasker.submit({
      namespace: 'shop',
      name: 'flaky',
      version: '1.0.0',
      context: {},
    });
    expect((await tasker.waitFor(id, { timeoutMs: 30_000 })).state).toBe('error');
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      await page.goto(`${guarded.url}${guardedPath}#task/${id}`);
      await page.waitForSelector('input#token', { timeout: 15_000 });
      await page.fill('input#token', tokenWith('viewer', ['tasker.task:show']));
      await page.press('input#token', 'Enter');
      await page.waitForSelector(`[data-task-id="${id}"]`, { timeout: 15_000 });

      await page.click('[data-actions="charge"] [data-action="retry"]');
      await page.waitForSelector('[data-refusal="retry"]', { timeout: 15_000 });
      expect(await page.textContent('[data-refusal="retry"]')).toContain(
        'Forbidden: Permission "tasker.workflow_step:retry" is required',
      );
      await page.click('[data-actions="charge"] [data-action="resolve"]');
      await page.locator('dialog.confirm[open] button[type="submit"]').click();
      await page.waitForSelector('[data-refusal="resolve"]', { timeout: 15_000 });
      expect(await page.textContent('[data-refusal="resolve"]')).toContain(
        '"tasker.workflow_step:update" is required',
      );
      await page.click('[data-action="cancel"]');
      await page.locator('dialog.confirm[open] button[type="submit"]').click();
      await page.waitForSelector('[data-refusal="cancel"]', { timeout: 15_000 });
      expect(await page.textContent('[data-refusal="cancel"]')).toContain('"tasker.task:cancel" is required');
      // Nothing changed, and the page still says so.
      expect((await tasker.getTask(id))?.state).toBe('error');
      expect(await page.getAttribute('[data-task-status]', 'data-task-status')).toBe('error');
      // The first load's 401 (no token yet) and the three 403s are the browser's own expected
      // console errors; nothing else.
      expect(seen.errors.filter((e) => !e.includes('401') && !e.includes('403'))).toEqual([]);
      expect(seen.errors.filter((e) => e.includes('403')).length).toBe(3);
      expect(seen.violations).toEqual([]);
      expect(offHost(seen.requested)).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);
});
