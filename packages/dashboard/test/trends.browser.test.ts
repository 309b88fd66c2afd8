/**
 * The Trends page in a real Chromium against a running engine on PGlite, with a metrics-native
 * registry wired as a user would (the native metrics backend of `@tasker/adapters/native` on the
 * engine's router, the same registry given to the dashboard). After a workload with retries, the
 * charts hold points and their canvases carry the series' colours (drawn data, not a canvas's
 * presence), the figures agree with what the workload did, the range links switch the history's
 * resolution (by keyboard too), the theme redraws the charts, and there is no console error, no
 * CSP violation and no request off 127.0.0.1. Without a registry, the page says what to give.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeMetricsBackend } from '@tasker/adapters/native';
import { createRegistry } from '@tasker/metrics-native';
import {
  createPgliteStore,
  createTasker,
  defineTask,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import { createTaskerApi, type RunningServer } from '@tasker/orchestrator/api';
import { createEventRouter } from '@tasker/router';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBrowser } from '../../../test-support/src/browser';
import { createTaskerDashboard, type TaskerDashboard } from '../src/index';

const TASKS = 6;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const checkout = defineTask({
  namespace: 'shop',
  name: 'checkout',
  version: '1.0.0',
  steps: [
    { name: 'reserve', handler: async () => pause(5) },
    {
      name: 'charge',
      dependsOn: ['reserve'],
      retryLimit: 3,
      backoff: { delaysMs: [20], jitter: 0 },
      // Even orders fail their first attempt: half as many failures (and retries) as tasks, so
      // no two series of a chart coincide.
      handler: async ({ attempt, context }) => {
        await pause(30);
        if (attempt === 1 && (context as { order: number }).order % 2 === 0) throw new Error('card declined');
        return 'charged';
      },
    },
    { name: 'ship', dependsOn: ['charge'], handler: async () => pause(10) },
  ],
});

/** Records console errors, page errors, CSP violations and every requested URL. */
async function watch(page: Page) {
  const seen = { errors: [] as string[], violations: [] as string[], requested: [] as string[] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('request', (r) => seen.requested.push(r.url()));
  await page.exposeFunction('reportViolation', (v: string) => seen.violations.push(v));
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
  );
  return seen;
}

/**
 * What each chart drew: per chart, its figures' point counts by series, and how many canvas
 * pixels are near each series' colour (the page's CSS variable, resolved by the browser).
 * Run in the page; written as text because this file is type-checked without the DOM library.
 */
const DRAWN = `(() => {
  const out = {};
  for (const fig of document.querySelectorAll('[data-chart]')) {
    const points = {};
    for (const row of fig.querySelectorAll('tr[data-series]')) {
      points[row.getAttribute('data-series')] = Number(row.querySelector('[data-points]').textContent);
    }
    const canvas = fig.querySelector('canvas');
    const pixels = {};
    if (canvas) {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      for (const swatch of fig.querySelectorAll('.swatch')) {
        const rgb = getComputedStyle(swatch).backgroundColor.match(/\\d+/g).map(Number);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          const d = Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1]) + Math.abs(data[i + 2] - rgb[2]);
          if (data[i + 3] > 200 && d < 30) n++;
        }
        pixels[swatch.parentElement.textContent.trim()] = n;
      }
    }
    out[fig.getAttribute('data-chart')] = { points, pixels };
  }
  return out;
})()`;

/** Waits until `expression`, evaluated in the page, is true (waitForFunction would need eval, which the CSP forbids). */
async function until(page: Page, expression: string): Promise<void> {
  await expect.poll(() => page.evaluate(expression), { timeout: 15_000, interval: 100 }).toBe(true);
}

type Drawn = Record<string, { points: Record<string, number>; pixels: Record<string, number> }>;

describeWithBrowser('the Trends page in chromium', (browser) => {
  let store: TaskStore;
  let tasker: Tasker;
  let dashboard: TaskerDashboard;
  let server: RunningServer;
  const registry = createRegistry();
  let context: BrowserContext;
  let keeper: Page | undefined;

  beforeAll(async () => {
    context = await browser().newContext();
    keeper = await context.newPage();
    store = await createPgliteStore();
    const router = createEventRouter({ backends: { metrics: createNativeMetricsBackend({ registry }) } });
    tasker = createTasker({ store, tasks: [checkout], router, onError: () => {} });
    dashboard = createTaskerDashboard({ api: createTaskerApi({ tasker }), registry });
    server = await dashboard.api.listen();
    await tasker.start();
    const submitted = await tasker.submitMany(
      Array.from({ length: TASKS }, (_, i) => ({
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        context: { order: i },
      })),
    );
    for (const s of submitted) await tasker.waitFor(s.taskId, { timeoutMs: 30_000 });
  }, 90_000);
  afterAll(async () => {
    dashboard?.stop();
    // The browser side first: once its connections are gone, no server waits on one to close.
    await keeper?.close();
    await context?.close();
    await server?.close();
    await tasker?.stop();
    await store?.close();
  });

  it('charts the workload, switches ranges, follows the theme, asks nothing off 127.0.0.1', async () => {
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      await page.emulateMedia({ colorScheme: 'light' });
      await page.goto(`${server.url}${dashboard.path}#trends`);
      await page.waitForSelector('[data-chart="durations"] canvas', { timeout: 15_000 }).catch(async (e) => {
        throw new Error(
          `${e}; page says: ${(await page.content()).slice(0, 1500)}; ${seen.errors.join(' | ')}`,
        );
      });
      // Every step attempt the workload made: 3 completed per task, and half the first charges failed.
      const totals = await page.textContent('[data-totals]');
      expect(totals).toContain(
        `${TASKS} tasks completed, 0 failed; ${3 * TASKS} step attempts completed, ${TASKS / 2} failed (14.29 %), ${TASKS / 2} retries`,
      );
      const light = (await page.evaluate(DRAWN)) as Drawn;
      expect(Object.keys(light).sort()).toEqual(['durations', 'errors', 'throughput']);
      for (const [chart, series] of [
        ['throughput', ['Steps completed', 'Tasks completed', 'Retries']],
        ['errors', ['Failed attempts']],
        ['durations', ['p50', 'p95', 'p99']],
      ] as const) {
        for (const s of series) {
          expect(light[chart]?.points[s], `${chart} ${s} points`).toBeGreaterThan(0);
          expect(light[chart]?.pixels[s], `${chart} ${s} pixels`).toBeGreaterThan(10);
        }
      }
      expect(await page.textContent('[data-chart="errors"] tr[data-series="Failed attempts"] td')).toMatch(
        /%$/,
      );
      expect(await page.textContent('.summary')).toContain('one point per 5 s');
      // The slowest steps, from the analytics route: the workload's three, each run once per task.
      const slowest = await page
        .locator('[data-slowest] tbody tr')
        .evaluateAll((rows) =>
          rows.map((r) => `${r.getAttribute('data-step')} ${r.children[2]?.textContent}`),
        );
      expect(slowest.sort()).toEqual([`charge ${TASKS}`, `reserve ${TASKS}`, `ship ${TASKS}`]);

      // Screenshots go to a temporary folder (the committed ones are made by a script).
      const shots = mkdtempSync(join(tmpdir(), 'tasker-trends-'));
      await page.setViewportSize({ width: 1280, height: 1100 });
      await page.screenshot({ path: join(shots, 'trends-light.png'), fullPage: true });
      console.log(`trends screenshots: ${shots}`);

      // Dark: the charts are drawn again in the dark colours.
      await page.emulateMedia({ colorScheme: 'dark' });
      await until(
        page,
        "getComputedStyle(document.querySelector('.swatch.series-1')).backgroundColor === 'rgb(143, 176, 255)'",
      );
      await expect
        .poll(async () => ((await page.evaluate(DRAWN)) as Drawn).throughput?.pixels['Steps completed'])
        .toBeGreaterThan(10);
      await page.screenshot({ path: join(shots, 'trends-dark.png'), fullPage: true });
      await page.emulateMedia({ colorScheme: 'light' });

      // Ranges: by keyboard, from the last top-bar link to the range links.
      await page.focus('nav[aria-label="Pages"] a:last-child');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement?.textContent')).toBe('1 h');
      await page.keyboard.press('Enter');
      await until(page, "document.querySelector('.summary')?.textContent.includes('one point per 30 s')");
      expect(page.url()).toContain('#trends?range=1h');
      expect(await page.getAttribute('.ranges a[aria-current="true"]', 'href')).toBe('#trends?range=1h');
      const hour = (await page.evaluate(DRAWN)) as Drawn;
      expect(hour.throughput?.points['Steps completed']).toBeGreaterThan(0);
      expect(hour.throughput?.pixels['Steps completed']).toBeGreaterThan(10);
      expect(await page.textContent('[data-totals]')).toContain(`${3 * TASKS} step attempts completed`);

      await page.click('.ranges a:has-text("24 h")');
      await until(page, "document.querySelector('.summary')?.textContent.includes('one point per 5 min')");
      const day = (await page.evaluate(DRAWN)) as Drawn;
      expect(day.durations?.points.p95).toBeGreaterThan(0);
      expect(await page.textContent('#analytics')).toContain('last 24 hours');

      expect(seen.errors).toEqual([]);
      expect(seen.violations).toEqual([]);
      expect(seen.requested.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
      expect(seen.requested).toContain(`${server.url}/tasker/analytics/history?range=24h`);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('without a registry, says the history needs one and shows the analytics', async () => {
    const api = createTaskerApi({ tasker });
    const plain = createTaskerDashboard({ api });
    const other = await api.listen();
    const page = await context.newPage();
    try {
      const seen = await watch(page);
      await page.goto(`${other.url}${plain.path}#trends`);
      await page.waitForSelector('[data-no-history]', { timeout: 15_000 }).catch(async (e) => {
        throw new Error(
          `${e}; page says: ${(await page.content()).slice(0, 1500)}; ${seen.errors.join(' | ')}`,
        );
      });
      expect(await page.textContent('[data-no-history]')).toContain(
        'createTaskerDashboard({ api, registry })',
      );
      expect(await page.locator('[data-chart]').count()).toBe(0);
      expect(await page.textContent('[data-performance]')).toContain(`Completed${TASKS}`);
      expect(await page.locator('[data-slowest] tbody tr').count()).toBe(3);
      expect(seen.errors).toEqual([]);
    } finally {
      await page.close();
      await other.close();
    }
  }, 60_000);
});
