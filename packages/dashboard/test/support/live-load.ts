/**
 * The Tasks page under live load (issue #15): synthetic events worth `stepsPerSecond` steps a
 * second, routed through the engine's router (so the dashboard's tap takes them, as it takes the
 * engine's own) for `seconds`, with the page open. PGlite and Chromium share two cores, so the
 * events are made here rather than by running that many steps.
 *
 * The events describe real tasks of the store, all `complete` there: each synthetic run takes
 * one of them from `complete` back through `in_progress`, runs its steps (`pending`,
 * `in_progress`, `complete` each) and completes it again, with transition ids above any the
 * audit holds. So the page ends where the store is, and every event it shows came from the tap.
 *
 * Used by the browser test (a short run: the page keeps up and ends consistent) and by
 * bench/dashboard-live.bench.ts (the full 20 s, with long tasks and memory).
 */
import type { EventRouter } from '@tasker/router';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Launches Chromium at `executablePath` (for the benchmark; tests use the suite's browser). */
export function launchChromium(executablePath: string, args: readonly string[]): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...args, '--enable-precise-memory-info'], headless: true });
}

export interface LiveLoadOptions {
  readonly router: EventRouter;
  /** Real tasks of the store, all complete, of one definition with `steps` steps. */
  readonly taskIds: readonly string[];
  readonly task: { readonly namespace: string; readonly name: string; readonly version: string };
  readonly steps: readonly string[];
  readonly stepsPerSecond: number;
  readonly seconds: number;
}

export interface LiveLoadResult {
  /** Events routed (every name), and those the dashboard's feed carries (before_transition). */
  readonly routed: number;
  readonly fed: number;
  readonly seconds: number;
}

/** Starts recording the page's long tasks (call before it loads: `addInitScript`). */
export const RECORD_LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: true });
`;

/** The page's long task durations (ms) and its JS heap (bytes, Chromium's `performance.memory`). */
export async function pageFigures(page: Page): Promise<{ longTasks: number[]; heapBytes: number }> {
  return (await page.evaluate(
    '({ longTasks: window.__longTasks ?? [], heapBytes: performance.memory?.usedJSHeapSize ?? 0 })',
  )) as { longTasks: number[]; heapBytes: number };
}

/** Routes the load, in 20 ms slices; resolves when it is all routed. */
export async function feedLiveLoad(o: LiveLoadOptions): Promise<LiveLoadResult> {
  const started = Date.now();
  // Far above the audit's ids, so that no synthetic event shares an id with a real one.
  let transition = 1_000_000_000;
  let routed = 0;
  let fed = 0;
  let run = 0;
  const total = o.stepsPerSecond * o.seconds;
  let stepsDone = 0;
  const route = (name: string, payload: Record<string, unknown>) => {
    o.router.route(name, payload, Date.now(), `${transition++}.0`);
    routed++;
    if (name.endsWith('.before_transition')) fed++;
  };
  const base = (taskId: string) => ({
    taskId,
    namespace: o.task.namespace,
    taskName: o.task.name,
    version: o.task.version,
  });
  const oneRun = () => {
    const taskId = o.taskIds[run++ % o.taskIds.length] as string;
    const task = base(taskId);
    route('task.before_transition', { ...task, fromState: 'complete', toState: 'in_progress' });
    for (const [i, stepName] of o.steps.entries()) {
      const step = { ...task, stepId: `${taskId}-${i}`, stepName, attempt: 1, retryLimit: 3 };
      route('step.before_transition', { ...step, fromState: null, toState: 'pending' });
      route('step.before_transition', { ...step, fromState: 'pending', toState: 'in_progress' });
      route('step.execution_requested', step);
      route('step.before_transition', { ...step, fromState: 'in_progress', toState: 'complete' });
      route('step.completed', step);
    }
    route('task.before_transition', { ...task, fromState: 'in_progress', toState: 'complete' });
    route('task.completed', task);
    stepsDone += o.steps.length;
  };
  while (stepsDone < total) {
    const due = Math.min(total, ((Date.now() - started) / 1000) * o.stepsPerSecond);
    while (stepsDone < due) oneRun();
    await new Promise((r) => setTimeout(r, 20));
  }
  return { routed, fed, seconds: (Date.now() - started) / 1000 };
}

/** The p-th percentile (0..100) of `values`, 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}
