/**
 * The Tasks page in a real Chromium against a running engine on PGlite behind the REST API on
 * 127.0.0.1: a task submitted after the page loaded appears and reaches `complete` without a
 * reload (live feed, read with fetch and the token header); the filters and the cursor pages
 * work; state is shown in words; the feed needs `tasker.events:index`; no console error, no
 * Content Security Policy violation, no request off 127.0.0.1, no token in a URL.
 */
import {
  createPgliteStore,
  createTasker,
  defineTask,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import { createJwtAuthenticator, createTaskerApi, type RunningServer } from '@tasker/orchestrator/api';
import { createEventRouter } from '@tasker/router';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../../../test-support/src/browser';
import { createTaskerDashboard } from '../src/index';
import { feedLiveLoad, pageFigures, percentile, RECORD_LONG_TASKS } from './support/live-load';
import { SECRET, tokenWith, waitForTrue, watch } from './support/page-watch';

/** Steps of `shop.checkout` wait for the gate the test opens. */
let openGate: () => void = () => {};
let gate = Promise.resolve();
const closeGate = () => {
  gate = new Promise((resolve) => {
    openGate = resolve;
  });
};
const definitions = [
  defineTask({
    namespace: 'shop',
    name: 'checkout',
    version: '1.0.0',
    steps: [
      { name: 'reserve', handler: async () => gate.then(() => 'reserved') },
      { name: 'charge', dependsOn: ['reserve'], handler: async () => 'charged' },
    ],
  }),
  defineTask({
    namespace: 'ops',
    name: 'audit',
    version: '1.0.0',
    steps: [{ name: 'check', handler: async () => 1 }],
  }),
  defineTask({
    namespace: 'ops',
    name: 'broken',
    version: '1.0.0',
    steps: [
      {
        name: 'fail',
        retryable: false,
        handler: async () => {
          throw new Error('broken on purpose');
        },
      },
    ],
  }),
  defineTask({
    namespace: 'load',
    name: 'pipeline',
    version: '1.0.0',
    steps: ['extract', 'clean', 'join', 'score', 'store'].map((name, i, all) => ({
      name,
      dependsOn: i === 0 ? [] : [all[i - 1] as string],
      handler: async () => name,
    })),
  }),
];

const statusOf = (page: Page, id: string) =>
  page.getAttribute(`tr[data-task-id="${id}"]`, 'data-status', { timeout: 1_000 }).catch(() => null);
const shownIds = (page: Page) =>
  page.$$eval('tr[data-task-id]', (rows) => rows.map((r) => r.getAttribute('data-task-id')));

async function waitForStatus(page: Page, id: string, status: string) {
  await page
    .waitForSelector(`tr[data-task-id="${id}"][data-status="${status}"]`, { timeout: 20_000 })
    .catch(async (e) => {
      throw new Error(`${e}; the row says ${await statusOf(page, id)}`);
    });
}

describeWithBrowser('the Tasks page in chromium', (browser) => {
  let store: TaskStore;
  let tasker: Tasker;
  const router = createEventRouter();
  const servers: RunningServer[] = [];
  let context: BrowserContext;
  let keeper: Page | undefined;
  const ids = { audit: '', broken: '', later: [] as string[] };

  beforeAll(async () => {
    context = await browser().newContext();
    keeper = await context.newPage();
    store = await createPgliteStore();
    tasker = createTasker({ store, router, tasks: definitions, onError: () => {} });
    await tasker.start();
    ids.audit = (
      await tasker.submit({ namespace: 'ops', name: 'audit', version: '1.0.0', context: {} })
    ).taskId;
    ids.broken = (
      await tasker.submit({ namespace: 'ops', name: 'broken', version: '1.0.0', context: {} })
    ).taskId;
    await tasker.waitFor(ids.audit, { timeoutMs: 30_000 });
    await tasker.waitFor(ids.broken, { timeoutMs: 30_000 }).catch(() => {});
    // Enough tasks for two pages, that wait an hour to start: they stay pending.
    const later = await tasker.submitMany(
      Array.from({ length: 26 }, (_, i) => ({
        namespace: 'ops',
        name: 'audit',
        version: '1.0.0',
        context: { i },
        delay: 3_600_000,
      })),
    );
    ids.later = later.map((r) => r.taskId);
  }, 90_000);
  afterAll(async () => {
    openGate();
    // The browser side first: once its connections are gone, no server waits on one to close.
    await keeper?.close();
    await context?.close();
    for (const s of servers) await s.close();
    await tasker?.stop();
    await store?.close();
  });

  it('shows a task submitted after the page loaded, live to complete, without a reload', async () => {
    const api = createTaskerApi({ tasker });
    const dashboard = createTaskerDashboard({ api, router });
    const server = await api.listen();
    servers.push(server);
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      await page.goto(`${server.url}${dashboard.path}#tasks?namespace=shop`);
      await page.waitForSelector('[data-live="open"]', { timeout: 15_000 });
      expect(await page.textContent('main')).toContain('No task matches these filters.');
      await page.evaluate('window.loadedOnce = true');

      closeGate();
      const { taskId } = await tasker.submit({
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        context: {},
      });
      // It appears and runs: its first step waits for the gate.
      await waitForStatus(page, taskId, 'in_progress');
      await page.waitForSelector(`tr[data-task-id="${taskId}"] td.latest:has-text("reserve → in_progress")`, {
        timeout: 20_000,
      });
      openGate();
      await waitForStatus(page, taskId, 'complete');
      const row = page.locator(`tr[data-task-id="${taskId}"]`);
      expect(await row.locator('.state').textContent()).toContain('Complete');
      expect(await row.locator('a.task-id').getAttribute('href')).toBe(`#task/${taskId}`);
      expect(await page.evaluate('window.loadedOnce')).toBe(true); // the same document: no reload
      // The stream: read with fetch from the feed's path, resumed nowhere yet, never in a URL with a token.
      expect(seen.requested.map((u) => new URL(u).pathname)).toContain(dashboard.livePath);
      expect(seen.errors).toEqual([]);
      expect(seen.violations).toEqual([]);
      expect(seen.requested.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('filters by state, namespace, name and time, and pages with the cursor', async () => {
    const api = createTaskerApi({ tasker });
    const dashboard = createTaskerDashboard({ api, router });
    const server = await api.listen();
    servers.push(server);
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      await page.goto(`${server.url}${dashboard.path}#tasks?namespace=ops`);
      await page.waitForSelector('tr[data-task-id]', { timeout: 15_000 });
      // 28 ops tasks: the newest 25 (the pending ones first), then the rest on the next page.
      const first = await shownIds(page);
      expect(first).toHaveLength(25);
      // (One transaction made them all: one created_at, so the id orders them.)
      for (const id of first) expect(ids.later).toContain(id);
      await page.click('button:has-text("Older")');
      await page.waitForSelector('text=Page 2');
      await waitForTrue(page, `document.querySelectorAll('tr[data-task-id]').length === 3`);
      const rest = ids.later.filter((id) => !first.includes(id));
      expect(new Set(await shownIds(page))).toEqual(new Set([...rest, ids.audit, ids.broken]));
      await page.click('button:has-text("Newer")');
      await page.waitForSelector('text=Page 1');

      // State, chosen in the form: the fragment follows.
      await page.selectOption('select[name="state"]', 'error');
      await waitForTrue(page, `location.hash === '#tasks?state=error&namespace=ops'`);
      await waitForTrue(page, `document.querySelectorAll('tr[data-task-id]').length === 1`);
      expect(await shownIds(page)).toEqual([ids.broken]);
      expect(await page.textContent(`tr[data-task-id="${ids.broken}"] .state`)).toContain('Error');
      // Name, typed and applied with Enter.
      await page.selectOption('select[name="state"]', '');
      await page.fill('input[name="name"]', 'broken');
      await page.press('input[name="name"]', 'Enter');
      await waitForTrue(page, `location.hash === '#tasks?namespace=ops&name=broken'`);
      await waitForTrue(page, `document.querySelectorAll('tr[data-task-id]').length === 1`);
      // Time: created in the last 15 minutes (all of them) goes to the API as created_from.
      await page.selectOption('select[name="since"]', '15m');
      await waitForTrue(page, `location.hash === '#tasks?namespace=ops&name=broken&since=15m'`);
      await waitForTrue(page, `document.querySelectorAll('tr[data-task-id]').length === 1`);
      expect(seen.requested.some((u) => u.includes('created_from='))).toBe(true);
      await page.fill('input[name="name"]', 'nothing-by-this-name');
      await page.press('input[name="name"]', 'Enter');
      await page.waitForSelector('text=No task matches these filters.');

      // Keyboard: from the last navigation link, Tab reaches the filters.
      await page.goto(`${server.url}${dashboard.path}#tasks?namespace=ops&state=error`);
      await page.waitForSelector('tr[data-task-id]');
      await page.focus('nav a:last-child');
      const focused: unknown[] = [];
      for (let i = 0; i < 7; i++) {
        await page.keyboard.press('Tab');
        focused.push(
          await page.evaluate(
            "document.activeElement?.getAttribute('name') ?? document.activeElement?.className",
          ),
        );
      }
      expect(focused).toEqual(['state', 'namespace', 'name', 'since', '', 'task-id', '']);
      // Light and dark: the state's colour follows the system's preference.
      const colour = `getComputedStyle(document.querySelector('tr[data-task-id] .state')).color`;
      await page.emulateMedia({ colorScheme: 'light' });
      const light = await page.evaluate(colour);
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await page.evaluate(colour);
      expect([light, dark]).toEqual(['rgb(179, 38, 30)', 'rgb(255, 138, 128)']);
      expect(seen.errors).toEqual([]);
      expect(seen.violations).toEqual([]);
      expect(seen.requested.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('with JWT on, sends the token in a header only, and says when it lacks tasker.events:index', async () => {
    const api = createTaskerApi({
      tasker,
      auth: { authenticate: createJwtAuthenticator({ secret: SECRET }), onRefusedToken: () => {} },
    });
    const dashboard = createTaskerDashboard({ api, router });
    const server = await api.listen();
    servers.push(server);
    for (const [permissions, live] of [
      [['tasker.task:index', 'tasker.events:index'], 'open'],
      [['tasker.task:index'], 'denied'],
    ] as const) {
      const token = tokenWith('ada', permissions);
      const page = await context.newPage();
      try {
        const seen = await watch(page);
        await page.goto(`${server.url}${dashboard.path}#tasks?namespace=ops&state=error`);
        await page.fill('input#token', token);
        await page.press('input#token', 'Enter');
        await page.waitForSelector(`[data-live="${live}"]`, { timeout: 15_000 });
        expect(await shownIds(page)).toEqual([ids.broken]);
        const feed = seen.authorizations.filter(
          (_, i) => new URL(seen.requested[i] as string).pathname === dashboard.livePath,
        );
        expect(feed.length).toBeGreaterThan(0);
        for (const auth of feed) expect(auth).toBe(`Bearer ${token}`);
        expect(seen.requested.filter((u) => u.includes(token))).toEqual([]);
        if (live === 'denied') expect(await page.textContent('[data-live]')).toContain('tasker.events:index');
        // The first load's 401 (before the token) and the feed's 403 are the browser's own errors.
        expect(seen.errors.filter((e) => !/40[13]/.test(e))).toEqual([]);
      } finally {
        await page.close();
      }
    }
  }, 90_000);

  it('keeps up with 1,000 steps/s fed to the tap, and ends consistent with the store', async () => {
    const submitted = await tasker.submitMany(
      Array.from({ length: 10 }, (_, i) => ({
        namespace: 'load',
        name: 'pipeline',
        version: '1.0.0',
        context: { i },
      })),
    );
    const taskIds = submitted.map((r) => r.taskId);
    for (const id of taskIds) await tasker.waitFor(id, { timeoutMs: 60_000 });
    const api = createTaskerApi({ tasker });
    const dashboard = createTaskerDashboard({ api, router });
    const server = await api.listen();
    servers.push(server);
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      await page.addInitScript(RECORD_LONG_TASKS);
      await page.goto(`${server.url}${dashboard.path}#tasks?namespace=load`);
      await page.waitForSelector('[data-live="open"]', { timeout: 15_000 });
      await waitForTrue(page, `document.querySelectorAll('tr[data-task-id]').length === 10`);
      const before = Number(await page.getAttribute('[data-live]', 'data-received'));
      // Short here (the full 20 s is bench/dashboard-live.bench.ts).
      const load = await feedLiveLoad({
        router,
        taskIds,
        task: { namespace: 'load', name: 'pipeline', version: '1.0.0' },
        steps: ['extract', 'clean', 'join', 'score', 'store'],
        stepsPerSecond: 1_000,
        seconds: 3,
      });
      // Kept up: every event the feed carried reached the page (a reader that fell behind would
      // have had tapped events dropped, and these are in no audit to bring them back).
      const received = async () => Number(await page.getAttribute('[data-live]', 'data-received'));
      for (let i = 0; i < 150 && (await received()) < before + load.fed; i++) await page.waitForTimeout(200);
      expect(await received()).toBe(before + load.fed);
      // Consistent with the store: the rows are the API's, state for state.
      const store = (await (
        await api.fetch(new Request('http://127.0.0.1/tasker/tasks?namespace=load'))
      ).json()) as {
        tasks: { task_id: string; status: string }[];
      };
      const rows = await page.$$eval('tr[data-task-id]', (trs) =>
        trs.map((r) => ({ task_id: r.getAttribute('data-task-id'), status: r.getAttribute('data-status') })),
      );
      expect(new Set(rows.map((r) => `${r.task_id} ${r.status}`))).toEqual(
        new Set(store.tasks.map((t) => `${t.task_id} ${t.status}`)),
      );
      expect(rows.every((r) => r.status === 'complete')).toBe(true);
      expect(await page.textContent(`tr[data-task-id="${taskIds[0]}"] td.latest`)).toContain('→ complete');
      const figures = await pageFigures(page);
      console.log(
        `live load (${load.fed} feed events in ${load.seconds.toFixed(1)} s): long tasks ${figures.longTasks.length}, p99 ${percentile(figures.longTasks, 99)} ms, heap ${(figures.heapBytes / 2 ** 20).toFixed(1)} MiB (under test load)`,
      );
      expect(seen.errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
