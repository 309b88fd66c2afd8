/**
 * The trace router backend. It emits each task's root span when the task ends, ends parked
 * step spans with their backoff, and turns custom events emitted by a running handler into
 * events of its step span:
 *
 * | event                                             | what happens                                     |
 * | ------------------------------------------------- | ------------------------------------------------ |
 * | `task.completed` / `failed` / `cancelled` / `resolved_manually` | the root `tasker.task.execution` span, with the reserved id, from the recorded start to now |
 * | `observability.step.backoff` / `step.retry_requested` | the failed attempt's span gets a `tasker.step.backoff` event and ends |
 * | `step.failed` with `retryable: false`             | the failed attempt's span ends                   |
 * | a custom event with the `stepId` of a running step | an event on that step's span, attributes filtered |
 * | anything else                                     | ignored (counted)                                |
 */
import {
  type Attributes,
  type Link,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { RoutedEvent, RouterBackend } from '@tasker/router';
import { isCatalogEvent } from '@tasker/router';
import { DropCounter, type Warn } from '../shared/warn-once';
import type { AttributeFilter } from './sensitive-attributes';
import { type StepSpans, spanEndNow } from './step-spans';
import type { TaskerIdGenerator } from './task-id-generator';
import { readTaskTrace } from './task-trace-record';

/** The span name of a task's root span. */
export const TASK_SPAN_NAME = 'tasker.task.execution';

/** What the trace backend did. */
export interface TraceBackendStats {
  readonly rootSpans: number;
  /** Root spans whose reserved id the SDK did not take (its `idGenerator` is not ours). */
  readonly rootSpansWithoutReservedId: number;
  readonly stepSpans: {
    readonly started: number;
    readonly ended: number;
    readonly live: number;
    readonly parked: number;
    /** Attempts run without a span because the router drops their task's trace. */
    readonly sampledOut: number;
  };
  readonly stepEvents: number;
  readonly ignored: number;
  readonly dropped: Readonly<Record<string, number>>;
}

/** A router backend for traces. */
export interface TraceBackend extends RouterBackend {
  stats(): TraceBackendStats;
}

export interface TraceBackendDeps {
  readonly name: string;
  readonly tracer: Tracer;
  readonly idGenerator: TaskerIdGenerator;
  readonly spans: StepSpans;
  readonly filter: AttributeFilter;
  readonly warn: Warn;
  /** True when step spans follow the router's sampling (`createTaskerTracing({ router })`). */
  readonly followsRouter: boolean;
}

type Payload = Record<string, unknown>;

const TASK_ENDS: Readonly<Record<string, string>> = {
  'task.completed': 'complete',
  'task.failed': 'error',
  'task.cancelled': 'cancelled',
  'task.resolved_manually': 'resolved_manually',
};

/** Fields that say where a custom event belongs rather than what it says. */
const ROUTING_FIELDS = new Set(['taskId', 'stepId', 'stepName', 'traceContext']);

export function createTraceBackend(deps: TraceBackendDeps): TraceBackend {
  const { tracer, idGenerator, spans, filter } = deps;
  const drops = new DropCounter(deps.name, deps.warn);
  let rootSpans = 0;
  let withoutReservedId = 0;
  let stepEvents = 0;
  let ignored = 0;

  /** Root spans sampled in a way step spans cannot follow leave orphans: say so, once. */
  let warnedSampling = false;
  const checkSampling = (event: RoutedEvent): void => {
    if (event.samplingRate >= 1 || warnedSampling) return;
    const key = event.mapping.samplingKey;
    const problem = !deps.followsRouter
      ? `the router samples ${event.name} for the trace backend, but step spans do not know the router and are made for every task, dropped ones too: pass the router to createTaskerTracing({ router })`
      : key !== 'taskId'
        ? `the router samples ${event.name} ${key === undefined ? 'per event' : `by ${key}`}, while step spans follow its decision by task id: map it with samplingKey: 'taskId'`
        : undefined;
    if (problem === undefined) return;
    warnedSampling = true;
    try {
      deps.warn(`[tasker ${deps.name}] ${problem}`);
    } catch {
      // A throwing warn must not break the hot path.
    }
  };

  const emitRoot = (event: RoutedEvent, p: Payload, status: string): void => {
    checkSampling(event);
    const taskId = typeof p.taskId === 'string' ? p.taskId : undefined;
    const t = readTaskTrace(p.traceContext, taskId);
    if (t === undefined) {
      drops.drop('taskId', () => `dropped ${event.name}: no trace context and no taskId to derive one from`);
      return;
    }
    const started =
      t.startedAt ?? (typeof p.startedAt === 'number' ? p.startedAt : undefined) ?? event.timestamp;
    const attributes: Attributes = { 'tasker.status': status };
    for (const [field, key] of [
      ['taskId', 'tasker.task_id'],
      ['namespace', 'tasker.namespace'],
      ['taskName', 'tasker.task_name'],
      ['version', 'tasker.task_version'],
      ['reason', 'tasker.reason'],
      ['actor', 'tasker.actor'],
    ] as const) {
      const v = p[field];
      if (typeof v === 'string') attributes[key] = v;
    }
    const links: Link[] =
      t.link === undefined
        ? []
        : [
            {
              context: {
                traceId: t.link.traceId,
                spanId: t.link.spanId,
                traceFlags: t.link.flags,
                isRemote: true,
              },
            },
          ];
    const parent =
      t.parentSpanId === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, {
            traceId: t.traceId,
            spanId: t.parentSpanId,
            traceFlags: t.flags,
            isRemote: true,
          });
    const { value: span, used } = idGenerator.withIds(t.traceId, t.rootSpanId, () =>
      tracer.startSpan(
        TASK_SPAN_NAME,
        {
          kind: SpanKind.INTERNAL,
          startTime: started,
          attributes,
          links,
          root: t.parentSpanId === undefined,
        },
        parent,
      ),
    );
    if (!used && span.isRecording()) {
      withoutReservedId++;
      drops.drop(
        'idGenerator',
        () =>
          'the tracer provider does not use this tracing’s idGenerator, so root spans cannot take their reserved ids and step spans point at a missing parent: pass the same createTaskerIdGenerator() to both',
      );
    }
    if (status === 'error') {
      const e = p.error as { name?: unknown; message?: unknown } | undefined;
      const message = typeof e?.message === 'string' ? e.message : 'the task failed';
      const name = typeof e?.name === 'string' ? e.name : 'Error';
      span.recordException({ name, message });
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${name}: ${message}` });
    }
    span.end(Math.max(spanEndNow(), started));
    rootSpans++;
  };

  const stepKey = (p: Payload): [string, number] | undefined =>
    typeof p.stepId === 'string' && typeof p.attempt === 'number' ? [p.stepId, p.attempt] : undefined;

  return {
    name: deps.name,
    handle(event: RoutedEvent): void {
      const p = event.payload;
      if (typeof p !== 'object' || p === null) {
        ignored++;
        return;
      }
      const payload = p as Payload;
      const status = TASK_ENDS[event.name];
      if (status !== undefined) {
        emitRoot(event, payload, status);
        return;
      }
      switch (event.name) {
        case 'observability.step.backoff':
        case 'step.retry_requested': {
          const key = stepKey(payload);
          if (key === undefined || typeof payload.backoffMs !== 'number') break;
          const backoff: Record<string, number> = { 'tasker.backoff_ms': payload.backoffMs };
          if (typeof payload.nextAttemptAt === 'number')
            backoff['tasker.next_attempt_at'] = payload.nextAttemptAt;
          if (typeof payload.retryAfterMs === 'number')
            backoff['tasker.retry_after_ms'] = payload.retryAfterMs;
          if (spans.settle(key[0], key[1], backoff)) return;
          break;
        }
        case 'step.failed': {
          const key = stepKey(payload);
          if (key !== undefined && payload.retryable === false && spans.settle(key[0], key[1])) return;
          break;
        }
        default: {
          if (isCatalogEvent(event.name) || typeof payload.stepId !== 'string') break;
          const span = spans.liveSpan(payload.stepId);
          if (span === undefined) break;
          span.addEvent(event.name, filter.addAttributes({}, payload, ROUTING_FIELDS));
          stepEvents++;
          return;
        }
      }
      ignored++;
    },
    stats: () => ({
      rootSpans,
      rootSpansWithoutReservedId: withoutReservedId,
      stepSpans: spans.stats(),
      stepEvents,
      ignored,
      dropped: drops.counts(),
    }),
  };
}
