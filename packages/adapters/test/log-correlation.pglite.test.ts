/**
 * Log lines and traces agree, from a real engine (PGlite) through the real OpenTelemetry SDK
 * with an in-memory exporter and a real pino logger: every line of a traced task carries the
 * trace id of the task's exported spans, a task line the root span's id, a step line the span of
 * its own attempt (a failed first attempt and its retry differ), and a task run without tracing
 * gets no trace fields.
 */
import { Writable } from 'node:stream';
import {
  createPgliteStore,
  createTasker,
  defineTask,
  RetryableError,
  type TaskStore,
} from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogsBackend } from '../src/logs/index';
import { createTaskerTracing, STEP_SPAN_NAME, TASK_SPAN_NAME } from '../src/otel/index';
import { testTracing } from './support/otel-sdk';

const sdk = testTracing();

const order = defineTask({
  namespace: 'shop',
  name: 'order',
  version: '1.0.0',
  backoff: { delaysMs: [20, 20, 20], jitter: 0 },
  steps: [
    { name: 'validate', handler: 'validate' },
    {
      name: 'charge',
      handler: 'charge',
      dependsOn: ['validate'],
      customEvents: [{ name: 'shop.payment_authorized', description: 'The card was authorised' }],
    },
  ],
});

const calls = new Map<string, number>();
const handlers = {
  validate: async () => ({ ok: true }),
  charge: async (ctx: {
    taskId: string;
    emit: (name: string, payload?: Record<string, unknown>) => void;
  }) => {
    const n = (calls.get(ctx.taskId) ?? 0) + 1;
    calls.set(ctx.taskId, n);
    if (n === 1) throw new RetryableError('gateway unavailable');
    ctx.emit('shop.payment_authorized', { amountCents: 4200 });
    return { charged: 4200 };
  },
};

type Line = Record<string, unknown>;

function memoryLogger() {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('log lines of a traced task', () => {
  let store: TaskStore;
  beforeAll(async () => {
    store = await createPgliteStore();
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('carry the trace id of its spans, the root span on task lines and each attempt’s span on step lines', async () => {
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('tasker'),
      idGenerator: sdk.idGenerator,
    });
    const { logger, lines } = memoryLogger();
    const router = createEventRouter({
      backends: {
        trace: tracing.backend,
        logs: createLogsBackend({ logger, traceFields: tracing.logTraceFields }),
      },
    });
    router.map('shop.*', { backends: ['trace', 'logs'] });
    const tasker = createTasker({
      store,
      router,
      tasks: [order],
      handlers: handlers as never,
      middleware: [tracing.middleware],
      traceContext: tracing.traceContext,
      config: { engine: { pollIntervalMs: 20, tickIntervalMs: 20 } },
    });
    await tasker.start();
    let taskId: string;
    try {
      ({ taskId } = await tasker.submit({ namespace: 'shop', name: 'order', version: '1.0.0', context: {} }));
      expect((await tasker.waitFor(taskId, { timeoutMs: 30_000 })).state).toBe('complete');
    } finally {
      await tasker.stop();
      tracing.flush();
    }

    const spans = sdk.exporter.getFinishedSpans().filter((s) => s.attributes['tasker.task_id'] === taskId);
    const root = spans.find((s) => s.name === TASK_SPAN_NAME);
    expect(root).toBeDefined();
    const traceId = root?.spanContext().traceId;
    const attemptSpan = (stepId: unknown, attempt: unknown) =>
      spans.find(
        (s) =>
          s.name === STEP_SPAN_NAME &&
          s.attributes['tasker.step_id'] === stepId &&
          s.attributes['tasker.attempt'] === attempt,
      );

    const mine = lines.filter((l) => l.taskId === taskId);
    expect(mine.map((l) => l.event).sort()).toEqual([
      'shop.payment_authorized',
      'step.completed',
      'step.completed',
      'step.failed',
      'step.retry_requested',
      'task.completed',
    ]);
    for (const line of mine) {
      expect(line.trace_id).toBe(traceId);
      expect(line.trace_flags).toBe('01');
      if (String(line.event).startsWith('task.')) {
        expect(line.span_id).toBe(root?.spanContext().spanId);
        continue;
      }
      // A custom event carries no attempt: it is the charge step's second, running one.
      const span = attemptSpan(line.stepId, line.event === 'shop.payment_authorized' ? 2 : line.attempt);
      expect(span, `the span of ${String(line.event)}`).toBeDefined();
      expect(line.span_id).toBe(span?.spanContext().spanId);
    }
    const failed = mine.find((l) => l.event === 'step.failed');
    const charged = mine.find((l) => l.event === 'step.completed' && l.stepName === 'charge');
    expect([failed?.attempt, charged?.attempt]).toEqual([1, 2]);
    expect(failed?.span_id).not.toBe(charged?.span_id);
  });

  it('gives a task run without tracing no trace fields', async () => {
    const { logger, lines } = memoryLogger();
    const router = createEventRouter({ backends: { logs: createLogsBackend({ logger }) } });
    const tasker = createTasker({
      store,
      router,
      tasks: [order],
      handlers: handlers as never,
      config: { engine: { pollIntervalMs: 20, tickIntervalMs: 20 } },
    });
    await tasker.start();
    try {
      const { taskId } = await tasker.submit({
        namespace: 'shop',
        name: 'order',
        version: '1.0.0',
        context: {},
      });
      expect((await tasker.waitFor(taskId, { timeoutMs: 30_000 })).state).toBe('complete');
      const mine = lines.filter((l) => l.taskId === taskId);
      expect(mine.map((l) => l.event)).toContain('task.completed');
      for (const line of mine) {
        expect(line).not.toHaveProperty('trace_id');
        expect(line).not.toHaveProperty('span_id');
        expect(line).not.toHaveProperty('trace_flags');
      }
    } finally {
      await tasker.stop();
    }
  });
});
