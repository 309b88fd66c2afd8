/**
 * The two hooks trace adapters use: `createTasker({ traceContext })`, which fills a task's
 * propagation record at submit, and `StepInfo.signal`, which tells middleware that an attempt
 * timed out while its handler is still running.
 */
import { createEventRouter, type RoutedEvent, type TraceContext } from '@tasker/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore, createTasker, defineTask, type StepInfo, type TaskStore } from '../src/index';

const chain = defineTask({
  namespace: 'hooks',
  name: 'chain',
  version: '1.0.0',
  steps: [
    { name: 'first', handler: async () => 1 },
    { name: 'second', handler: async () => 2, dependsOn: ['first'] },
  ],
});

const hanging = defineTask({
  namespace: 'hooks',
  name: 'hanging',
  version: '1.0.0',
  steps: [
    {
      name: 'slow',
      retryLimit: 0,
      timeoutMs: 150,
      // Ignores its signal: the engine gives up on it, the middleware must still hear of it.
      handler: () => new Promise(() => {}),
    },
  ],
});

describe('trace hooks of the engine', () => {
  let store: TaskStore;
  beforeAll(async () => {
    store = await createPgliteStore();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('fills the trace context of a task submitted without one, and hands it to middleware and events', async () => {
    const asked: unknown[] = [];
    const seen: StepInfo[] = [];
    const events: RoutedEvent[] = [];
    const router = createEventRouter({
      mappings: [{ eventName: 'step.completed', backends: ['rec'] }],
      backends: { rec: { name: 'rec', handle: (e) => void events.push(e) } },
    });
    let n = 0;
    const tasker = createTasker({
      store,
      router,
      tasks: [chain],
      traceContext: (task) => {
        asked.push(task);
        return { traceparent: `00-${'a'.repeat(31)}${++n}-${'b'.repeat(16)}-01` };
      },
      middleware: [
        (step, run) => {
          seen.push(step);
          return run();
        },
      ],
      config: { engine: { pollIntervalMs: 50 } },
    });
    await tasker.start();
    try {
      const { taskId } = await tasker.submit({
        namespace: 'hooks',
        name: 'chain',
        version: '1.0.0',
        context: {},
      });
      const explicit: TraceContext = { traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01` };
      const second = await tasker.submit({
        namespace: 'hooks',
        name: 'chain',
        version: '1.0.0',
        context: {},
        traceContext: explicit,
      });
      expect((await tasker.waitFor(taskId, { timeoutMs: 30_000 })).state).toBe('complete');
      expect((await tasker.waitFor(second.taskId, { timeoutMs: 30_000 })).state).toBe('complete');
      // Asked once: the explicit record of the second task wins.
      expect(asked).toEqual([{ namespace: 'hooks', name: 'chain', version: '1.0.0' }]);
      const filled = { traceparent: `00-${'a'.repeat(31)}1-${'b'.repeat(16)}-01` };
      const byTask = (id: string) => seen.filter((s) => s.taskId === id).map((s) => s.traceContext);
      expect(byTask(taskId)).toEqual([filled, filled]);
      expect(byTask(second.taskId)).toEqual([explicit, explicit]);
      for (const s of seen) expect(s.signal).toBeInstanceOf(AbortSignal);
      const payloads = events.map((e) => e.payload as { taskId: string; traceContext?: TraceContext });
      expect(payloads.filter((p) => p.taskId === taskId).map((p) => p.traceContext)).toEqual([
        filled,
        filled,
      ]);
    } finally {
      await tasker.stop();
    }
  }, 60_000);

  it('leaves a task without a record when the hook returns undefined', async () => {
    const tasker = createTasker({ store, tasks: [chain], traceContext: () => undefined });
    const { taskId } = await tasker.submit({
      namespace: 'hooks',
      name: 'chain',
      version: '1.0.0',
      context: {},
    });
    expect((await tasker.getTask(taskId))?.traceContext).toBeUndefined();
    await tasker.cancel(taskId);
  }, 30_000);

  it('aborts the signal middleware holds when the attempt times out, while run() is still pending', async () => {
    let signal: AbortSignal | undefined;
    let settled = false;
    const tasker = createTasker({
      store,
      tasks: [hanging],
      middleware: [
        (step, run) => {
          signal = step.signal;
          const running = run();
          running.then(
            () => {
              settled = true;
            },
            () => {
              settled = true;
            },
          );
          return running;
        },
      ],
      config: { engine: { pollIntervalMs: 50, tickIntervalMs: 20 } },
    });
    await tasker.start();
    try {
      const { taskId } = await tasker.submit({
        namespace: 'hooks',
        name: 'hanging',
        version: '1.0.0',
        context: {},
      });
      const task = await tasker.waitFor(taskId, { timeoutMs: 30_000 });
      expect(task.state).toBe('error');
      expect(signal?.aborted).toBe(true);
      expect((signal?.reason as Error | undefined)?.name).toBe('TimeoutError');
      expect(settled).toBe(false);
    } finally {
      await tasker.stop();
    }
  }, 60_000);
});
