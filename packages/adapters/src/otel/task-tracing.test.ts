import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createEventMapping, createEventRouter, type RoutedEvent } from '@tasker/router';
import { runBackendContract, SAMPLE_PAYLOADS } from '@tasker/router/testing';
import { describe, expect, it } from 'vitest';
import { TRACE_RECORDED_EVENTS } from '../../test/support/contract-probes';
import { testTracing } from '../../test/support/otel-sdk';
import { fromSdk, treeProblems } from '../../test/support/span-tree';
import { isAdapterError } from '../shared/errors';
import { createTaskerIdGenerator } from './task-id-generator';
import type { TraceBackend } from './task-trace-backend';
import { derivedTaskTrace, readTaskTrace } from './task-trace-record';
import { createTaskerTracing } from './task-tracing';

const sdk = testTracing();

let nextId = 0;

function event(name: string, payload: unknown): RoutedEvent {
  return {
    id: `event-${++nextId}`,
    name,
    payload,
    timestamp: Date.now(),
    mapping: createEventMapping({ eventName: name, backends: ['trace'] }),
    samplingRate: 1,
  };
}

const step = (traceContext: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  taskId: 't-1',
  stepId: 's-1',
  stepName: 'charge',
  namespace: 'shop',
  taskName: 'order',
  version: '1.0.0',
  attempt: 1,
  retryLimit: 3,
  traceContext,
  ...extra,
});

runBackendContract(
  { describe, it, expect },
  {
    name: 'OpenTelemetry traces',
    create: () =>
      createTaskerTracing({
        tracer: sdk.provider.getTracer('contract'),
        idGenerator: sdk.idGenerator,
        warn: () => {},
      }).backend,
    recorded: {
      count: (backend) => (backend as TraceBackend).stats().rootSpans,
      events: TRACE_RECORDED_EVENTS,
    },
  },
);

describe('createTaskerIdGenerator', () => {
  it('generates valid random ids, and the reserved ones for exactly one startSpan', () => {
    const g = createTaskerIdGenerator();
    const ids = new Set(Array.from({ length: 1000 }, () => g.generateSpanId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(g.generateTraceId()).toMatch(/^[0-9a-f]{32}$/);
    const { value, used } = g.withIds('1'.repeat(32), '2'.repeat(16), () => [
      g.generateSpanId(),
      g.generateTraceId(),
    ]);
    expect(value).toEqual(['2'.repeat(16), '1'.repeat(32)]);
    expect(used).toBe(true);
    expect(g.generateSpanId()).not.toBe('2'.repeat(16));
    expect(g.withIds('1'.repeat(32), '2'.repeat(16), () => 0).used).toBe(false);
  });
});

describe('the task trace record', () => {
  it('reads what traceContext() wrote, and derives stable ids from a task id without one', () => {
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('t'),
      idGenerator: sdk.idGenerator,
    });
    const record = tracing.traceContext();
    const t = readTaskTrace(record, 'ignored');
    expect(record.traceparent).toBe(`00-${t?.traceId}-${t?.rootSpanId}-01`);
    expect(t).toMatchObject({ derived: false, flags: 1, parentSpanId: undefined, link: undefined });
    expect(Math.abs((t?.startedAt ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(readTaskTrace({ traceparent: 'nonsense' }, 'task-9')).toEqual(derivedTaskTrace('task-9'));
    expect(derivedTaskTrace('task-9')).toEqual(derivedTaskTrace('task-9'));
    expect(derivedTaskTrace('task-9').traceId).not.toBe(derivedTaskTrace('task-10').traceId);
    expect(readTaskTrace(undefined, undefined)).toBeUndefined();
  });
});

describe('createTaskerTracing', () => {
  it('in parent mode, continues the submitter’s trace: the root span is the submitting span’s child', async () => {
    const tracer = sdk.provider.getTracer('parent-mode');
    const tracing = createTaskerTracing({ tracer, idGenerator: sdk.idGenerator, submitter: 'parent' });
    const request = tracer.startSpan('http POST /orders');
    const record = context.with(trace.setSpan(context.active(), request), () => tracing.traceContext());
    await tracing.middleware(step(record), async () => {
      tracer.startSpan('inner').end();
    });
    request.end();
    tracing.backend.handle(
      event('task.completed', { ...SAMPLE_PAYLOADS['task.completed'], taskId: 't-1', traceContext: record }),
    );
    const spans = sdk.exporter
      .getFinishedSpans()
      .map(fromSdk)
      .filter((s) => s.traceId === request.spanContext().traceId);
    expect(spans.map((s) => s.name).sort()).toEqual([
      'http POST /orders',
      'inner',
      'tasker.step.execution',
      'tasker.task.execution',
    ]);
    const root = spans.find((s) => s.name === 'tasker.task.execution');
    expect(root?.parentSpanId).toBe(request.spanContext().spanId);
    const stepSpan = spans.find((s) => s.name === 'tasker.step.execution');
    expect(stepSpan?.parentSpanId).toBe(root?.spanId);
    expect(spans.find((s) => s.name === 'inner')?.parentSpanId).toBe(stepSpan?.spanId);
  });

  it('warns once and counts root spans when the provider does not use its id generator', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const warnings: string[] = [];
    const tracing = createTaskerTracing({
      tracer: provider.getTracer('x'),
      idGenerator: createTaskerIdGenerator(),
      warn: (m) => warnings.push(m),
    });
    for (let i = 0; i < 3; i++) {
      tracing.backend.handle(
        event('task.completed', {
          ...SAMPLE_PAYLOADS['task.completed'],
          traceContext: tracing.traceContext(),
        }),
      );
    }
    expect(tracing.backend.stats()).toMatchObject({ rootSpans: 3, rootSpansWithoutReservedId: 3 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/idGenerator/);
  });

  it('ends a failed attempt’s span at its failure, with the backoff event, when the backoff event comes', async () => {
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('park'),
      idGenerator: sdk.idGenerator,
    });
    const record = tracing.traceContext();
    await expect(
      tracing.middleware(step(record, { stepId: 'park-1' }), async () => {
        throw new TypeError('bad card');
      }),
    ).rejects.toThrow('bad card');
    expect(tracing.backend.stats().stepSpans).toMatchObject({ parked: 1, ended: 0 });
    tracing.backend.handle(event('step.failed', { ...step(record, { stepId: 'park-1' }), retryable: true }));
    expect(tracing.backend.stats().stepSpans.parked).toBe(1); // a retryable failure waits for its backoff
    tracing.backend.handle(
      event('observability.step.backoff', {
        ...step(record, { stepId: 'park-1' }),
        backoffMs: 2000,
        nextAttemptAt: 5,
        retryAfterMs: 2000,
      }),
    );
    expect(tracing.backend.stats().stepSpans).toMatchObject({ parked: 0, ended: 1 });
    const span = sdk.exporter
      .getFinishedSpans()
      .map(fromSdk)
      .find((s) => s.attributes['tasker.step_id'] === 'park-1');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TypeError: bad card' });
    expect(span?.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        'exception',
        expect.objectContaining({ 'exception.type': 'TypeError', 'exception.message': 'bad card' }),
      ],
      [
        'tasker.step.backoff',
        { 'tasker.backoff_ms': 2000, 'tasker.next_attempt_at': 5, 'tasker.retry_after_ms': 2000 },
      ],
    ]);
  });

  it('ends the span of a handler that ignores its signal when the signal fires, and listens only to attempts still running', async () => {
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('abort'),
      idGenerator: sdk.idGenerator,
    });
    const record = tracing.traceContext();
    const never = () => new Promise<never>(() => {});
    const timedOut = () => Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    // Aborted later, from a timer: through the listener.
    const late = new AbortController();
    void tracing.middleware(step(record, { stepId: 'a-late', signal: late.signal }), never);
    // Aborted in the same turn, before the watch ran.
    const early = new AbortController();
    void tracing.middleware(step(record, { stepId: 'a-early', signal: early.signal }), never);
    early.abort(timedOut());
    // Settled at once: no listener is added to its signal.
    const quick = new AbortController();
    let listeners = 0;
    const add = quick.signal.addEventListener.bind(quick.signal);
    quick.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    await tracing.middleware(step(record, { stepId: 'a-quick', signal: quick.signal }), async () => 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(tracing.backend.stats().stepSpans).toMatchObject({ live: 1, parked: 1, ended: 1 });
    late.abort(timedOut());
    expect(tracing.backend.stats().stepSpans).toMatchObject({ live: 0, parked: 2 });
    expect(listeners).toBe(0);
    tracing.flush();
    const spans = sdk.exporter.getFinishedSpans().map(fromSdk);
    for (const id of ['a-late', 'a-early']) {
      const span = spans.find((s) => s.attributes['tasker.step_id'] === id);
      expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'TimeoutError: timed out' });
    }
  });

  it('ends a parked span on a permanent failure, and on its own after parkTimeoutMs', async () => {
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('park'),
      idGenerator: sdk.idGenerator,
      parkTimeoutMs: 30,
    });
    const record = tracing.traceContext();
    const fail = () => Promise.reject(new Error('no'));
    await tracing.middleware(step(record, { stepId: 'p-1' }), fail).catch(() => {});
    await tracing.middleware(step(record, { stepId: 'p-2' }), fail).catch(() => {});
    tracing.backend.handle(event('step.failed', { ...step(record, { stepId: 'p-1' }), retryable: false }));
    expect(tracing.backend.stats().stepSpans.parked).toBe(1);
    for (let i = 0; i < 200 && tracing.backend.stats().stepSpans.parked > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(tracing.backend.stats().stepSpans).toMatchObject({ parked: 0, ended: 2 });
  });

  it('filters sensitive fields of extra attributes, by the default list or a custom one', async () => {
    const tracer = sdk.provider.getTracer('attrs');
    const extra = () => ({
      customerId: 'c-1',
      password: 'hunter2',
      api_key: 'k',
      userSSN: '123',
      note: 'ok',
    });
    const defaults = createTaskerTracing({ tracer, idGenerator: sdk.idGenerator, attributes: extra });
    await defaults.middleware(step(defaults.traceContext(), { stepId: 'a-1' }), async () => 1);
    const custom = createTaskerTracing({
      tracer,
      idGenerator: sdk.idGenerator,
      attributes: extra,
      sensitiveFields: ['note'],
    });
    await custom.middleware(step(custom.traceContext(), { stepId: 'a-2' }), async () => 1);
    const byStep = (id: string) =>
      sdk.exporter.getFinishedSpans().find((s) => s.attributes['tasker.step_id'] === id)?.attributes;
    expect(byStep('a-1')).toMatchObject({
      'tasker.customerId': 'c-1',
      'tasker.password': '[FILTERED]',
      'tasker.api_key': '[FILTERED]',
      'tasker.userSSN': '[FILTERED]',
      'tasker.note': 'ok',
      'tasker.attempt': 1,
    });
    expect(byStep('a-2')).toMatchObject({ 'tasker.password': 'hunter2', 'tasker.note': '[FILTERED]' });
  });

  it('makes a consistent tree from step spans and the root emitted later', async () => {
    const tracing = createTaskerTracing({
      tracer: sdk.provider.getTracer('tree'),
      idGenerator: sdk.idGenerator,
    });
    const record = tracing.traceContext();
    await new Promise((r) => setTimeout(r, 2));
    await tracing.middleware(step(record, { stepId: 'tree-1' }), async () => 1);
    await tracing.middleware(step(record, { stepId: 'tree-2', stepName: 'ship' }), async () => 2);
    await new Promise((r) => setTimeout(r, 2));
    tracing.backend.handle(
      event('task.completed', { ...SAMPLE_PAYLOADS['task.completed'], traceContext: record }),
    );
    const t = readTaskTrace(record, undefined);
    const spans = sdk.exporter
      .getFinishedSpans()
      .map(fromSdk)
      .filter((s) => s.traceId === t?.traceId);
    expect(spans).toHaveLength(3);
    expect(treeProblems(spans)).toEqual([]);
  });

  it('warns once when the router samples root spans in a way step spans cannot follow', () => {
    const sampled = (samplingKey?: string): RoutedEvent => ({
      ...event('task.completed', { taskId: 't-1' }),
      mapping: createEventMapping({
        eventName: 'task.completed',
        backends: ['trace'],
        samplingRate: 0.5,
        samplingKey,
      }),
      samplingRate: 0.5,
    });
    const tracer = sdk.provider.getTracer('sampling');
    const alone: string[] = [];
    const withoutRouter = createTaskerTracing({
      tracer,
      idGenerator: sdk.idGenerator,
      warn: (m) => alone.push(m),
    });
    withoutRouter.backend.handle(sampled('taskId'));
    withoutRouter.backend.handle(sampled('taskId'));
    expect(alone).toHaveLength(1);
    expect(alone[0]).toMatch(/createTaskerTracing\(\{ router \}\)/);

    const router = createEventRouter();
    const byOther: string[] = [];
    const withRouter = createTaskerTracing({
      tracer,
      idGenerator: sdk.idGenerator,
      router,
      warn: (m) => byOther.push(m),
    });
    withRouter.backend.handle(sampled('taskId'));
    expect(byOther).toEqual([]);
    withRouter.backend.handle(sampled());
    expect(byOther).toHaveLength(1);
    expect(byOther[0]).toMatch(/per event.*samplingKey: 'taskId'/);
    // The tracing registered its backend on the router: a second one under the same name is refused.
    expect(() => router.addBackend('trace', withRouter.backend)).toThrow();
  });

  it('rejects bad options, naming each field', () => {
    try {
      createTaskerTracing({ tracer: {} as never, idGenerator: {} as never, submitter: 'child' as never });
      expect.unreachable();
    } catch (error) {
      expect(isAdapterError(error)).toBe(true);
      const message = (error as Error).message;
      expect(message).toMatch(/tracer: expected an OpenTelemetry Tracer/);
      expect(message).toMatch(/idGenerator: expected the createTaskerIdGenerator\(\)/);
      expect(message).toMatch(/submitter: expected "link" or "parent"/);
    }
  });
});
