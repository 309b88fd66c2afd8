/**
 * The scene the dashboard's screenshots show: an engine on PGlite with two workflows and a small
 * workload (orders whose payment is retried, a report whose render fails), behind the REST API
 * on 127.0.0.1 with the dashboard mounted. The browser test takes its screenshots into a
 * temporary folder; `pnpm screenshots` takes the same ones into docs/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createNativeMetricsBackend } from '@tasker/adapters/native';
import { createRegistry } from '@tasker/metrics-native';
import {
  createPgliteStore,
  createTasker,
  defineTask,
  RetryableError,
  type StepContext,
} from '@tasker/orchestrator';
import { createTaskerApi } from '@tasker/orchestrator/api';
import { createEventRouter } from '@tasker/router';
import type { Browser } from 'playwright-core';
import { createTaskerDashboard } from '../../src/index';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The steps' handlers, registered by name as an application does (the DAG shows the names). */
const handlers = {
  validateOrder: async () => ({ valid: true }),
  reserveStock: async () => pause(60),
  chargePayment: async (ctx: StepContext) => {
    await pause(20);
    if (ctx.attempt < 3) throw new RetryableError('the payment gateway timed out');
    return { authorization: `auth-${ctx.taskId.slice(0, 8)}` };
  },
  shipOrder: async () => pause(30),
  notifyCustomer: async () => 'sent',
  fetchSales: async () => ({ rows: 1204 }),
  renderReport: async () => {
    throw new Error('template "weekly.hbs" is missing');
  },
  publishReport: async () => 'published',
};

const order = defineTask({
  namespace: 'shop',
  name: 'order',
  version: '1.0.0',
  description: 'Take an order: validate, reserve stock and charge in parallel, ship, notify',
  backoff: { delaysMs: [100, 200], jitter: 0 },
  steps: [
    { name: 'validate_order', handler: 'validateOrder' },
    { name: 'reserve_stock', dependsOn: ['validate_order'], handler: 'reserveStock' },
    {
      name: 'charge_payment',
      dependsOn: ['validate_order'],
      retryLimit: 3,
      timeoutMs: 2000,
      handler: 'chargePayment',
    },
    { name: 'ship_order', dependsOn: ['reserve_stock', 'charge_payment'], handler: 'shipOrder' },
    { name: 'notify_customer', dependsOn: ['ship_order'], skippable: true, handler: 'notifyCustomer' },
  ],
});

const report = defineTask({
  namespace: 'reports',
  name: 'nightly',
  version: '1.0.0',
  description: 'Build the nightly sales report',
  steps: [
    { name: 'fetch_sales', handler: 'fetchSales' },
    { name: 'render_report', dependsOn: ['fetch_sales'], retryLimit: 1, handler: 'renderReport' },
    { name: 'publish_report', dependsOn: ['render_report'], handler: 'publishReport' },
  ],
});

export interface Scene {
  /** The dashboard's URL. */
  readonly url: string;
  /** An order that completed after its payment's retries. */
  readonly orderId: string;
  /** A report whose render failed. */
  readonly failedId: string;
  close(): Promise<void>;
}

export async function startScene(): Promise<Scene> {
  const store = await createPgliteStore();
  // Metrics as a user wires them: the native backend on the engine's router, and the same
  // registry given to the dashboard for its trends.
  const registry = createRegistry();
  const router = createEventRouter({ backends: { metrics: createNativeMetricsBackend({ registry }) } });
  const tasker = createTasker({
    store,
    tasks: [order, report],
    handlers,
    router,
    onError: () => {},
    config: { engine: { pollIntervalMs: 50 } },
  });
  const api = createTaskerApi({ tasker });
  const dashboard = createTaskerDashboard({ api, router, registry });
  const server = await api.listen();
  await tasker.start();
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const { taskId } = await tasker.submit({
      namespace: 'shop',
      name: 'order',
      version: '1.0.0',
      context: { n: i },
    });
    ids.push(taskId);
  }
  const { taskId: failedId } = await tasker.submit({
    namespace: 'reports',
    name: 'nightly',
    version: '1.0.0',
    context: {},
  });
  for (const id of [...ids, failedId]) await tasker.waitFor(id, { timeoutMs: 60_000 }).catch(() => undefined);
  return {
    url: `${server.url}${dashboard.path}`,
    orderId: ids[0] as string,
    failedId,
    async close() {
      dashboard.stop();
      await server.close();
      await tasker.stop();
      await store.close();
    },
  };
}

/** One screenshot: the page's fragment, and the selector that says it has drawn. */
interface Shot {
  readonly file: string;
  readonly fragment: (scene: Scene) => string;
  readonly ready: string;
  readonly colorScheme?: 'light' | 'dark';
  /** The whole page rather than the 1280×800 viewport. */
  readonly fullPage?: boolean;
}

export const SHOTS: readonly Shot[] = [
  { file: 'tasks.png', fragment: () => '#tasks', ready: '[data-live="open"]' },
  { file: 'tasks-dark.png', fragment: () => '#tasks', ready: '[data-live="open"]', colorScheme: 'dark' },
  {
    file: 'task.png',
    fragment: (s) => `#task/${s.orderId}`,
    ready: 'svg.gantt g.attempt',
    fullPage: true,
  },
  { file: 'task-error.png', fragment: (s) => `#task/${s.failedId}`, ready: 'svg.gantt g.attempt' },
  { file: 'trends.png', fragment: () => '#trends?range=15m', ready: '[data-chart] canvas', fullPage: true },
  { file: 'handlers.png', fragment: () => '#handlers', ready: '[data-definition] svg g.node' },
  {
    file: 'handlers-dark.png',
    fragment: () => '#handlers',
    ready: '[data-definition] svg g.node',
    colorScheme: 'dark',
  },
];

/** Takes every screenshot of {@link SHOTS} into `dir`; returns the files' paths. */
export async function takeScreenshots(browser: Browser, scene: Scene, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  // One context, and a page kept open in it throughout: the npm Chromium runs as one process,
  // which exits when its last page or context closes.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const keeper = await context.newPage();
  const files: string[] = [];
  try {
    for (const shot of SHOTS) {
      const page = await context.newPage();
      try {
        await page.emulateMedia({ colorScheme: shot.colorScheme ?? 'light' });
        await page.goto(`${scene.url}${shot.fragment(scene)}`);
        await page.waitForSelector(shot.ready, { timeout: 20_000 });
        // Nothing still loading (a page's status line, an empty list before its first answer).
        await page.waitForSelector('main .status[role="status"]', { state: 'detached', timeout: 20_000 });
        const file = join(dir, shot.file);
        await page.screenshot({ path: file, fullPage: shot.fullPage ?? false });
        files.push(file);
      } finally {
        await page.close();
      }
    }
  } finally {
    await keeper.close();
    await context.close();
  }
  return files;
}
