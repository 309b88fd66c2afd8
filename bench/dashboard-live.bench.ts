/**
 * The dashboard's Tasks page under live load (issue #15): synthetic task and step transitions
 * worth 1,000 steps/s for 20 s, routed through the engine's router (the dashboard's tap takes
 * them at once, as it takes the engine's own), with the page open in a headless Chromium. PGlite
 * and Chromium share the machine, so the events are made rather than run (see
 * packages/dashboard/test/support/live-load.ts).
 *
 * Recorded: the page's main-thread long tasks (PerformanceObserver `longtask`: any task over
 * 50 ms; target p99 under 100 ms), its JS heap before and after (after a full collection), and whether it kept up. A run
 * in which the page did not receive every event the feed carried is not a measurement: it stops
 * with a BenchCheckError.
 */
import { createPgliteStore, createTasker, defineTask } from '@tasker/orchestrator';
import { createTaskerApi } from '@tasker/orchestrator/api';
import { createEventRouter } from '@tasker/router';
import { createTaskerDashboard } from '../packages/dashboard/src/index';
import {
  feedLiveLoad,
  launchChromium,
  pageFigures,
  percentile,
  RECORD_LONG_TASKS,
} from '../packages/dashboard/test/support/live-load';
import { chooseBrowser } from '../test-support/src/global-setup';
import { assertChecked, measurement, writeReport } from './harness';

const STEPS = ['extract', 'clean', 'join', 'score', 'store'];
const STEPS_PER_SECOND = 1_000;
const SECONDS = 20;
const TASKS = 20;

const choice = await chooseBrowser();
if (choice.kind === 'none') throw new Error(`no browser: ${choice.reason}`);

const store = await createPgliteStore();
const router = createEventRouter();
const tasker = createTasker({
  store,
  router,
  onError: () => {},
  tasks: [
    defineTask({
      namespace: 'load',
      name: 'pipeline',
      version: '1.0.0',
      steps: STEPS.map((name, i) => ({
        name,
        dependsOn: i === 0 ? [] : [STEPS[i - 1] as string],
        handler: async () => name,
      })),
    }),
  ],
});
await tasker.start();
const submitted = await tasker.submitMany(
  Array.from({ length: TASKS }, (_, i) => ({
    namespace: 'load',
    name: 'pipeline',
    version: '1.0.0',
    context: { i },
  })),
);
const taskIds = submitted.map((r) => r.taskId);
for (const id of taskIds) await tasker.waitFor(id, { timeoutMs: 120_000 });
await tasker.stop();

const api = createTaskerApi({ tasker });
const dashboard = createTaskerDashboard({ api, router });
const server = await api.listen();
const browser = await launchChromium(choice.executablePath, choice.args);
try {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(RECORD_LONG_TASKS);
  await page.goto(`${server.url}${dashboard.path}#tasks?namespace=load`);
  await page.waitForSelector('[data-live="open"]', { timeout: 30_000 });
  await page.waitForSelector('tr[data-task-id]', { timeout: 30_000 });
  const received = async () => Number(await page.getAttribute('[data-live]', 'data-received'));
  const before = await received();
  // The heap is read after a full collection (CDP), so that it counts what the page keeps.
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await pageFigures(page)).heapBytes;
  };
  const heapBefore = await heap();
  // The observer works: a task of 80 ms on the page's main thread is seen (then left out). The
  // busy loop runs from a timer, as a task of the page's own event loop: code evaluated by the
  // driver (CDP) is not always reported as a long task.
  await page.evaluate(
    '(() => { setTimeout(() => { const end = performance.now() + 80; while (performance.now() < end); }, 0); })()',
  );
  await page.waitForTimeout(500);
  const probe = (await pageFigures(page)).longTasks.length;

  const load = await feedLiveLoad({
    router,
    taskIds,
    task: { namespace: 'load', name: 'pipeline', version: '1.0.0' },
    steps: STEPS,
    stepsPerSecond: STEPS_PER_SECOND,
    seconds: SECONDS,
  });
  const fedAt = Date.now();
  for (let i = 0; i < 300 && (await received()) < before + load.fed; i++) await page.waitForTimeout(100);
  const caughtUpMs = Date.now() - fedAt;
  const got = (await received()) - before;
  const rows = await page.$$eval('tr[data-task-id]', (trs) => trs.map((r) => r.getAttribute('data-status')));
  const figures = await pageFigures(page);
  const heapAfter = await heap();
  assertChecked('the Tasks page under live load', [
    ...(probe >= 1 ? [] : ['the long-task observer saw no task of an 80 ms busy loop']),
    ...(got === load.fed ? [] : [`the page received ${got} of ${load.fed} feed events`]),
    ...(rows.length === TASKS && rows.every((s) => s === 'complete')
      ? []
      : [`rows end as ${rows.join(', ')}, not ${TASKS} complete as in the store`]),
    ...errors.map((e) => `page error: ${e}`),
  ]);

  const longTasks = figures.longTasks.slice(probe);
  writeReport({
    subject: 'dashboard-live',
    description: `The Tasks page open in headless Chromium while transitions worth ${STEPS_PER_SECOND} steps/s (${STEPS.length}-step tasks) are routed through the router for ${SECONDS} s: ${load.routed} events routed, ${load.fed} carried by the live feed (task and step before_transition), all received by the page. One run; long tasks are the page's main-thread tasks over 50 ms.`,
    groups: [],
    ratios: [],
    measurements: [
      measurement('long task p99 (0 when none)', 'ms', [percentile(longTasks, 99)], 100),
      measurement('long tasks (over 50 ms) in the run', 'count', [longTasks.length]),
      measurement('longest task', 'ms', [longTasks.length === 0 ? 0 : Math.max(...longTasks)]),
      measurement('feed events received per second', 'events/s', [got / load.seconds]),
      measurement('caught up after the last event', 'ms', [caughtUpMs]),
      measurement('page JS heap before', 'MiB', [heapBefore / 2 ** 20]),
      measurement('page JS heap after', 'MiB', [heapAfter / 2 ** 20]),
    ],
    notes: [
      `Browser: ${choice.label}. The engine is stopped during the run: PGlite, the API, the feed and Chromium share the machine, and the events are synthetic (routed by this process, carried by the tap).`,
      'Checked: the page received every event the feed carried (a reader that falls behind has tapped events dropped, and these are in no audit), and its rows end complete, as the store has them.',
    ],
  });
} finally {
  await browser.close();
  await server.close();
  await store.close();
}
