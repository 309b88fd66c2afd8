/**
 * The critical path from the transition audit (issue #15), over HTTP on a real engine (PGlite):
 * a step whose retries and backoff gate the task is named, though another branch ran a longer
 * single attempt, and its span runs from its first claim to its final settle.
 *
 *   start → flaky (fails twice, 400 ms backoff each time, then succeeds; ~10 ms attempts) → finish
 *   start → slow  (one 150 ms attempt)                                                  → finish
 *
 * By the last attempt alone (the old rule) `slow` was the longest chain; `flaky` settled last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseTask, createTaskerApi, type RunningServer } from '../src/api/index';
import { createPgliteStore, createTasker, defineTask, RetryableError, type Tasker } from '../src/index';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const gated = defineTask({
  namespace: 'paths',
  name: 'gated',
  version: '1.0.0',
  backoff: { delaysMs: [400, 400], jitter: 0 },
  steps: [
    { name: 'start', handler: async () => ({}) },
    {
      name: 'flaky',
      dependsOn: ['start'],
      handler: async (ctx) => {
        await pause(10);
        if (ctx.attempt <= 2) throw new RetryableError(`gateway timed out (attempt ${ctx.attempt})`);
        return { ok: true };
      },
    },
    {
      name: 'slow',
      dependsOn: ['start'],
      handler: async () => {
        await pause(150);
        return { ok: true };
      },
    },
    { name: 'finish', dependsOn: ['flaky', 'slow'], handler: async () => ({}) },
  ],
});

describe('critical path from the transition audit', () => {
  let tasker: Tasker;
  let server: RunningServer;

  beforeAll(async () => {
    tasker = createTasker({
      store: await createPgliteStore(),
      tasks: [gated],
      config: { engine: { pollIntervalMs: 20, tickIntervalMs: 10 } },
      onError: () => {},
    });
    await tasker.start();
    server = await createTaskerApi({ tasker }).listen();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await tasker?.stop();
  });

  it('names the retried step that gated the task, spanning its attempts and backoff', async () => {
    const { taskId } = await tasker.submit({
      namespace: 'paths',
      name: 'gated',
      version: '1.0.0',
      context: {},
    });
    expect((await tasker.waitFor(taskId, { timeoutMs: 20_000 })).state).toBe('complete');
    const response = await fetch(`${server.url}/tasker/tasks/${taskId}?include_dependencies=true`);
    expect(response.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: the body is asserted field by field
    const analysis = ((await response.json()) as any).dependency_analysis;

    // The scenario discriminates: by its last attempt, `slow` ran longer than `flaky`.
    const node = (name: string) => analysis.nodes.find((n: { name: string }) => n.name === name);
    expect(node('slow').duration_ms).toBeGreaterThan(node('flaky').duration_ms);
    expect(node('flaky').attempts).toBe(3);

    const path = analysis.critical_path;
    expect(path.steps).toEqual(['start', 'flaky', 'finish']);
    expect(path.complete).toBe(true);
    const flaky = path.spans.find((s: { step: string }) => s.step === 'flaky');
    expect(flaky.attempts).toBe(3);
    // First claim to final settle: both backoffs lie inside it.
    expect(flaky.duration_ms).toBeGreaterThanOrEqual(800);
    expect(Date.parse(flaky.settled_at) - Date.parse(flaky.first_claimed_at)).toBe(flaky.duration_ms);
    // The path runs from the first step's first claim to the last step's settle.
    const first = path.spans[0];
    const last = path.spans[path.spans.length - 1];
    expect(path.duration_ms).toBe(Date.parse(last.settled_at) - Date.parse(first.first_claimed_at));
    expect(path.duration_ms).toBeGreaterThanOrEqual(flaky.duration_ms);
  }, 30_000);

  it('is empty and incomplete while no step has settled', async () => {
    const { taskId } = await tasker.submit({
      namespace: 'paths',
      name: 'gated',
      version: '1.0.0',
      context: {},
    });
    const task = await tasker.waitFor(taskId, { timeoutMs: 20_000 });
    // The same steps with no audit behind them: nothing settled, so no path yet.
    expect(analyseTask(task.steps, []).criticalPath).toEqual({
      steps: [],
      spans: [],
      durationMs: 0,
      complete: false,
    });
  }, 30_000);
});
