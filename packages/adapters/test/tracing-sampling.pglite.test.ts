/**
 * Trace sampling that leaves no orphans (#16): the router samples the trace backend by task id
 * at rate 0.5, and the tracing, given the router, makes step spans only for the tasks the
 * router keeps. A real engine (PGlite) runs 200 tasks with a retried step and a handler that
 * makes its own span; the real OpenTelemetry SDK exports to memory. Every kept task must be
 * one whole tree and no span may exist outside the kept tasks' traces.
 */

import {
  createPgliteStore,
  createTasker,
  defineTask,
  RetryableError,
  type TaskStore,
} from '@tasker/orchestrator';
import { createEventRouter, keepsKey } from '@tasker/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskerTracing, readTaskTrace } from '../src/otel/index';
import { testTracing } from './support/otel-sdk';
import { childrenOf, fromSdk, type SpanRecord, treeProblems } from './support/span-tree';

const TASKS = 200;
const RATE = 0.5;

const sdk = testTracing();
const handlerTracer = sdk.provider.getTracer('test-handlers');

const job = defineTask({
  namespace: 'sampling',
  name: 'job',
  version: '1.0.0',
  backoff: { delaysMs: [5], jitter: 0 },
  steps: [
    { name: 'fetch', handler: 'fetch' },
    { name: 'store', handler: 'store', dependsOn: ['fetch'], retryLimit: 1 },
    { name: 'notify', handler: 'notify', dependsOn: ['fetch'] },
  ],
});

const storeCalls = new Map<string, number>();
const handlers = {
  fetch: async () => 1,
  // Fails its first attempt: a kept task has two `store` attempts, the first with its backoff.
  store: async (ctx: { taskId: string }) => {
    const n = (storeCalls.get(ctx.taskId) ?? 0) + 1;
    storeCalls.set(ctx.taskId, n);
    if (n === 1) throw new RetryableError('busy');
    return n;
  },
  // The handler's own span: under its step span when kept, not recorded when dropped.
  notify: async () => handlerTracer.startActiveSpan('smtp.send', (span) => span.end()),
};

/** Every event that ends a task's trace or settles an attempt's span, sampled by task id. */
const SAMPLED = [
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.resolved_manually',
  'step.failed',
  'step.retry_requested',
  'observability.step.backoff',
];

describe('trace sampling by task id', () => {
  let store: TaskStore;
  beforeAll(async () => {
    store = await createPgliteStore();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('makes a whole tree for every kept task and no span at all for a dropped one', async () => {
    const warnings: string[] = [];
    const router = createEventRouter();
    router.configure(
      Object.fromEntries(
        SAMPLED.map((name) => [
          name,
          { backends: ['trace', 'metrics'], samplingRate: RATE, samplingKey: 'taskId' },
        ]),
      ),
    );
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('tasker'),
      idGenerator: sdk.idGenerator,
      router,
      warn: (m) => warnings.push(m),
    });
    const tasker = createTasker({
      store,
      router,
      tasks: [job],
      handlers: handlers as never,
      middleware: [tracing.middleware],
      traceContext: tracing.traceContext,
      config: { execution: { concurrency: 16 }, engine: { pollIntervalMs: 10, tickIntervalMs: 10 } },
    });
    await tasker.start();
    const taskIds: string[] = [];
    try {
      for (let i = 0; i < TASKS; i++) {
        const { taskId } = await tasker.submit({
          namespace: 'sampling',
          name: 'job',
          version: '1.0.0',
          context: { i },
        });
        taskIds.push(taskId);
      }
      for (const taskId of taskIds)
        expect((await tasker.waitFor(taskId, { timeoutMs: 60_000 })).state).toBe('complete');
    } finally {
      await tasker.stop();
    }
    tracing.flush();
    await sdk.provider.forceFlush();

    // The router's decision, computed apart from the tracing: the same hash of the task id.
    const kept = taskIds.filter((id) => keepsKey(id, RATE));
    expect(kept.length).toBeGreaterThan(TASKS * 0.35);
    expect(kept.length).toBeLessThan(TASKS * 0.65);
    const traceOfTask = new Map<string, string>();
    for (const taskId of taskIds) {
      const t = readTaskTrace((await tasker.getTask(taskId))?.traceContext, taskId);
      expect(t?.derived).toBe(false);
      traceOfTask.set(taskId, t?.traceId ?? '');
    }

    const spans = sdk.exporter.getFinishedSpans().map(fromSdk);
    const byTrace = new Map<string, SpanRecord[]>();
    for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    // No orphans: every span is in the trace of a kept task, and every kept task has its trace.
    const keptTraces = new Set(kept.map((id) => traceOfTask.get(id)));
    const orphans = spans.filter((s) => !keptTraces.has(s.traceId));
    expect(orphans.length, `${orphans.length} spans outside the kept tasks' traces`).toBe(0);
    expect(byTrace.size).toBe(kept.length);

    for (const taskId of kept) {
      const tree = byTrace.get(traceOfTask.get(taskId) as string) ?? [];
      expect(treeProblems(tree), taskId).toEqual([]);
      const root = tree.find((s) => s.parentSpanId === undefined) as SpanRecord;
      expect(root.name).toBe('tasker.task.execution');
      expect(root.attributes['tasker.task_id']).toBe(taskId);
      // Every attempt of every step, parented by the root.
      const steps = childrenOf(tree, root);
      expect(
        steps.map((s) => `${s.attributes['tasker.step_name']}#${s.attributes['tasker.attempt']}`).sort(),
      ).toEqual(['fetch#1', 'notify#1', 'store#1', 'store#2']);
      expect(steps.every((s) => s.name === 'tasker.step.execution')).toBe(true);
      const failed = steps.find(
        (s) => s.attributes['tasker.attempt'] === 1 && s.attributes['tasker.step_name'] === 'store',
      );
      expect(failed?.events.map((e) => e.name)).toEqual(['exception', 'tasker.step.backoff']);
      const notify = steps.find((s) => s.attributes['tasker.step_name'] === 'notify') as SpanRecord;
      expect(childrenOf(tree, notify).map((s) => s.name)).toEqual(['smtp.send']);
      expect(tree).toHaveLength(6);
    }

    const dropped = TASKS - kept.length;
    expect(tracing.backend.stats()).toMatchObject({
      rootSpans: kept.length,
      stepSpans: {
        started: kept.length * 4,
        ended: kept.length * 4,
        live: 0,
        parked: 0,
        sampledOut: dropped * 4,
      },
    });
    expect(warnings).toEqual([]);
  }, 120_000);
});
