/**
 * Traces from a real engine (PGlite, one process) through the real OpenTelemetry SDK with an
 * in-memory exporter: the tree of a task, attempts with their errors and backoff events, the
 * handler's own spans nested under its step span, timeouts, custom events with sensitive
 * fields filtered, and tasks submitted without a reserved trace.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  createPgliteStore,
  createTasker,
  defineTask,
  RetryableError,
  type TaskStore,
} from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskerTracing, readTaskTrace } from '../src/otel/index';
import { testTracing } from './support/otel-sdk';
import { childrenOf, fromSdk, type SpanRecord, treeProblems } from './support/span-tree';

const sdk = testTracing();
const tracer = sdk.provider.getTracer('test-handlers');

const order = defineTask({
  namespace: 'shop',
  name: 'order',
  version: '1.0.0',
  backoff: { delaysMs: [20, 20, 20], jitter: 0 },
  steps: [
    { name: 'validate', handler: 'validate' },
    { name: 'reserve', handler: 'reserve', dependsOn: ['validate'] },
    {
      name: 'charge',
      handler: 'charge',
      dependsOn: ['validate'],
      customEvents: [{ name: 'shop.payment_authorized', description: 'The card was authorised' }],
    },
    { name: 'ship', handler: 'ship', dependsOn: ['reserve', 'charge'] },
  ],
});

const report = defineTask({
  namespace: 'reports',
  name: 'nightly',
  version: '1.0.0',
  steps: [{ name: 'render', handler: 'render', timeoutMs: 100, retryLimit: 0 }],
});

const charges = new Map<string, number>();

const handlers = {
  validate: async () => ({ ok: true }),
  reserve: async () => ({ reserved: 2 }),
  charge: async (ctx: {
    taskId: string;
    emit: (name: string, payload?: Record<string, unknown>) => void;
  }) => {
    const n = (charges.get(ctx.taskId) ?? 0) + 1;
    charges.set(ctx.taskId, n);
    // The handler's own work: a span that must nest under this attempt's step span.
    await tracer.startActiveSpan('payment-gateway.authorize', async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      span.end();
    });
    if (n < 3) throw new RetryableError(`gateway unavailable (call ${n})`);
    ctx.emit('shop.payment_authorized', { amountCents: 4200, cardToken: 'tok_visa_4242' });
    return { charged: 4200 };
  },
  ship: async () => ({ tracking: 'TRK1' }),
  render: (ctx: { signal: AbortSignal }) =>
    new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
};

function traceOf(traceId: string): SpanRecord[] {
  return sdk.exporter
    .getFinishedSpans()
    .map(fromSdk)
    .filter((s) => s.traceId === traceId);
}

describe('task traces from a real engine', () => {
  let store: TaskStore;
  const warnings: string[] = [];
  const tracing = createTaskerTracing({
    tracer: sdk.provider.getTracer('tasker'),
    idGenerator: sdk.idGenerator,
    warn: (m) => warnings.push(m),
  });
  const router = createEventRouter({ backends: { trace: tracing.backend } });
  router.map('shop.*', { backends: ['trace'] });

  beforeAll(async () => {
    store = await createPgliteStore();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  function engine(traceContext = true) {
    return createTasker({
      store,
      router,
      tasks: [order, report],
      handlers: handlers as never,
      middleware: [tracing.middleware],
      ...(traceContext ? { traceContext: tracing.traceContext } : {}),
      config: { engine: { pollIntervalMs: 20, tickIntervalMs: 20 } },
    });
  }

  it('makes one trace per task: the root span, one span per attempt, the handler’s spans under its attempt', async () => {
    const tasker = engine();
    await tasker.start();
    try {
      const submitter = tracer.startSpan('http POST /orders');
      const { taskId } = await context.with(trace.setSpan(context.active(), submitter), () =>
        tasker.submit({ namespace: 'shop', name: 'order', version: '1.0.0', context: { orderId: 'o-1' } }),
      );
      submitter.end();
      expect((await tasker.waitFor(taskId, { timeoutMs: 30_000 })).state).toBe('complete');
      const record = (await tasker.getTask(taskId))?.traceContext;
      const reserved = readTaskTrace(record, taskId);
      expect(reserved?.derived).toBe(false);
      const spans = traceOf(reserved?.traceId ?? '');

      expect(treeProblems(spans)).toEqual([]);
      const root = spans.find((s) => s.parentSpanId === undefined) as SpanRecord;
      expect(root.name).toBe('tasker.task.execution');
      expect(root.spanId).toBe(reserved?.rootSpanId);
      expect(root.attributes).toMatchObject({
        'tasker.task_id': taskId,
        'tasker.namespace': 'shop',
        'tasker.task_name': 'order',
        'tasker.task_version': '1.0.0',
        'tasker.status': 'complete',
      });
      // The root starts at the recorded submit time, and links to the submitting span.
      expect(root.start).toBe(BigInt(record?.['tasker.started_at'] ?? 0) * 1_000_000n);
      expect(
        sdk.exporter
          .getFinishedSpans()
          .find((s) => s.name === 'tasker.task.execution' && s.spanContext().spanId === root.spanId)
          ?.links.map((l) => l.context.spanId),
      ).toEqual([submitter.spanContext().spanId]);

      const steps = childrenOf(spans, root);
      expect(steps.every((s) => s.name === 'tasker.step.execution')).toBe(true);
      const attempts = (name: string) =>
        steps
          .filter((s) => s.attributes['tasker.step_name'] === name)
          .map((s) => s.attributes['tasker.attempt']);
      expect(attempts('validate')).toEqual([1]);
      expect(attempts('reserve')).toEqual([1]);
      expect(attempts('charge').sort()).toEqual([1, 2, 3]);
      expect(attempts('ship')).toEqual([1]);

      const charge = steps.filter((s) => s.attributes['tasker.step_name'] === 'charge');
      for (const attempt of charge) {
        // Each attempt has its own gateway call under it.
        expect(childrenOf(spans, attempt).map((s) => s.name)).toEqual(['payment-gateway.authorize']);
        expect(attempt.attributes).toMatchObject({ 'tasker.task_id': taskId, 'tasker.retry_limit': 3 });
      }
      const failed = charge.filter((s) => s.attributes['tasker.attempt'] !== 3);
      for (const f of failed) {
        expect(f.status.code).toBe(SpanStatusCode.ERROR);
        expect(f.status.message).toMatch(/RetryableError: gateway unavailable/);
        const names = f.events.map((e) => e.name);
        expect(names).toEqual(['exception', 'tasker.step.backoff']);
        const backoff = f.events[1];
        expect(backoff?.attributes['tasker.backoff_ms']).toBe(20);
        expect(typeof backoff?.attributes['tasker.next_attempt_at']).toBe('number');
        // The backoff starts where the attempt ended.
        expect(backoff?.time).toBe(f.end);
      }
      const last = charge.find((s) => s.attributes['tasker.attempt'] === 3) as SpanRecord;
      expect(last.status.code).toBe(SpanStatusCode.UNSET);
      // The custom event the handler emitted, with its card token filtered.
      expect(last.events.map((e) => [e.name, e.attributes])).toEqual([
        ['shop.payment_authorized', { 'tasker.amountCents': 4200, 'tasker.cardToken': '[FILTERED]' }],
      ]);
      // Attempts follow each other: the next starts after the previous ended.
      const byAttempt = [...charge].sort(
        (a, b) => Number(a.attributes['tasker.attempt']) - Number(b.attributes['tasker.attempt']),
      );
      for (let i = 1; i < byAttempt.length; i++)
        expect(byAttempt[i]!.start >= byAttempt[i - 1]!.end).toBe(true);
      expect(tracing.backend.stats()).toMatchObject({
        rootSpansWithoutReservedId: 0,
        stepSpans: { live: 0, parked: 0 },
      });
      expect(warnings).toEqual([]);
    } finally {
      await tasker.stop();
    }
  }, 60_000);

  it('ends a timed-out attempt’s span as an error when the timeout fires, and marks the failed task’s root', async () => {
    const tasker = engine();
    await tasker.start();
    try {
      const { taskId } = await tasker.submit({
        namespace: 'reports',
        name: 'nightly',
        version: '1.0.0',
        context: {},
      });
      expect((await tasker.waitFor(taskId, { timeoutMs: 30_000 })).state).toBe('error');
      const reserved = readTaskTrace((await tasker.getTask(taskId))?.traceContext, taskId);
      const spans = traceOf(reserved?.traceId ?? '');
      expect(treeProblems(spans)).toEqual([]);
      const root = spans.find((s) => s.name === 'tasker.task.execution') as SpanRecord;
      expect(root.status.code).toBe(SpanStatusCode.ERROR);
      expect(root.attributes['tasker.status']).toBe('error');
      const [render] = childrenOf(spans, root);
      expect(render?.status).toMatchObject({ code: SpanStatusCode.ERROR });
      expect(render?.status.message).toMatch(/^TimeoutError: step "render" timed out after 100 ms/);
      expect(render?.events.map((e) => e.name)).toEqual(['exception']);
    } finally {
      await tasker.stop();
    }
  }, 60_000);

  it('traces a task submitted without a reserved trace under ids derived from its task id', async () => {
    const tasker = engine(false);
    await tasker.start();
    try {
      const { taskId } = await tasker.submit({
        namespace: 'shop',
        name: 'order',
        version: '1.0.0',
        context: {},
      });
      expect((await tasker.waitFor(taskId, { timeoutMs: 30_000 })).state).toBe('complete');
      expect((await tasker.getTask(taskId))?.traceContext).toBeUndefined();
      const derived = readTaskTrace(undefined, taskId);
      const spans = traceOf(derived?.traceId ?? '');
      expect(treeProblems(spans)).toEqual([]);
      expect(spans.filter((s) => s.name === 'tasker.step.execution')).toHaveLength(6);
    } finally {
      await tasker.stop();
    }
  }, 60_000);
});
