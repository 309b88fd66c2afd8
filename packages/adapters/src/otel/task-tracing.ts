import { context, type Tracer, trace } from '@opentelemetry/api';
import { type EventRouter, TaskEvents } from '@tasker/router';
import { z } from 'zod';
import type { LogTraceFieldsOf } from '../shared/log-trace-fields';
import { parseOptions } from '../shared/parse-options';
import { formatTraceParent } from '../shared/trace-parent';
import { defaultWarn } from '../shared/warn-once';
import { attemptLogTraceFields } from './attempt-log-correlation';
import { AttributeFilter, DEFAULT_SENSITIVE_FIELDS } from './sensitive-attributes';
import { createStepMiddleware, type TracedStepInfo, type TracingMiddleware } from './step-middleware';
import { StepSpans } from './step-spans';
import { randomIds, type TaskerIdGenerator } from './task-id-generator';
import { createTraceBackend, type TraceBackend } from './task-trace-backend';
import { taskTraceRecord } from './task-trace-record';

/** Options of {@link createTaskerTracing}. */
export interface TaskerTracingOptions {
  /** A tracer of your SDK's provider, e.g. `provider.getTracer('tasker')`. */
  readonly tracer: Tracer;
  /**
   * The `createTaskerIdGenerator()` that your tracer provider was made with (its
   * `idGenerator` option): root spans take their reserved ids through it.
   */
  readonly idGenerator: TaskerIdGenerator;
  /** The trace backend's name (what router mappings list). Default `trace`. */
  readonly name?: string;
  /**
   * The router that delivers to the trace backend. Given, the tracing registers its backend
   * there (under `name`), and step spans follow the router's sampling: a task whose
   * `task.completed` the router would drop for the backend (by task id, under the mappings of
   * the moment) gets no spans at all, so sampling leaves no orphans. Without it, register
   * `tracing.backend` yourself; every task's steps are then traced.
   */
  readonly router?: EventRouter;
  /**
   * Field-name fragments whose values are filtered (`[FILTERED]`) from span attributes,
   * case-insensitive. Default: the original's `passw, secret, token, _key, crypt, salt,
   * certificate, otp, ssn`.
   */
  readonly sensitiveFields?: readonly string[];
  /** Extra attributes for each step span (keys prefixed `tasker.`, sensitive ones filtered). */
  readonly attributes?: (step: TracedStepInfo) => Record<string, unknown>;
  /**
   * How a task's trace relates to the span active when it is submitted: `link` (default) makes
   * each task its own trace, whose root links to the submitter's span; `parent` makes the root
   * span a child of the submitter's span, in the submitter's trace.
   */
  readonly submitter?: 'link' | 'parent';
  /** How long a failed attempt's span waits for its backoff event before ending anyway. Default 30 s. */
  readonly parkTimeoutMs?: number;
  /** Where one-time warnings go. Default `process.emitWarning`. */
  readonly warn?: (message: string) => void;
}

/** Traces for Tasker: give each part to its place. */
export interface TaskerTracing {
  /** For `createTasker({ traceContext })`: reserves a new task's trace at submit. */
  readonly traceContext: () => Record<string, string>;
  /** For `createTasker({ middleware })`: runs each attempt inside its live step span. */
  readonly middleware: TracingMiddleware;
  /** For the router (`backends: { trace: tracing.backend }`): root spans, backoffs, handler events. */
  readonly backend: TraceBackend;
  /**
   * For `createLogsBackend({ traceFields })` of `@tasker/adapters/logs`: a task's log lines
   * carry its `trace_id`, and as `span_id` the root span, or for a step's lines the span of
   * that attempt when this process ran it (see attempt-log-correlation.ts).
   */
  readonly logTraceFields: LogTraceFieldsOf;
  /** Ends every failed attempt's span still waiting for its backoff event (call before shutting the SDK down). */
  flush(): void;
}

const isFunction = (v: unknown) => typeof v === 'function';

const schema = z
  .object({
    tracer: z.custom<Tracer>(
      (v) => typeof v === 'object' && v !== null && isFunction((v as Tracer).startSpan),
      'expected an OpenTelemetry Tracer (provider.getTracer(name))',
    ),
    idGenerator: z.custom<TaskerIdGenerator>(
      (v) => typeof v === 'object' && v !== null && isFunction((v as TaskerIdGenerator).withIds),
      'expected the createTaskerIdGenerator() your tracer provider was made with',
    ),
    name: z.string().min(1, 'expected a non-empty backend name').default('trace'),
    router: z
      .custom<EventRouter>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          isFunction((v as EventRouter).keeps) &&
          isFunction((v as EventRouter).addBackend),
        'expected an EventRouter (createEventRouter())',
      )
      .optional(),
    sensitiveFields: z
      .array(z.string().min(1, 'expected non-empty field fragments'))
      .default([...DEFAULT_SENSITIVE_FIELDS]),
    attributes: z
      .custom<(step: TracedStepInfo) => Record<string, unknown>>(isFunction, 'expected a function')
      .optional(),
    submitter: z.enum(['link', 'parent'], 'expected "link" or "parent"').default('link'),
    parkTimeoutMs: z.number().int('expected an integer').min(1, 'expected at least 1 ms').default(30_000),
    warn: z.custom<(message: string) => void>(isFunction, 'expected a function').optional(),
  })
  .strict();

/**
 * OpenTelemetry traces for Tasker. A task is one trace: its root span
 * `tasker.task.execution`, and one `tasker.step.execution` child per attempt of a step, with
 * its real start and end, also when steps run in other processes. The handler runs inside its
 * step span's context, so its own spans nest under it.
 *
 * @example
 * ```ts
 * const idGenerator = createTaskerIdGenerator();
 * const provider = new NodeTracerProvider({ idGenerator, spanProcessors: [new BatchSpanProcessor(exporter)] });
 * provider.register(); // the context manager that carries the step span into the handler
 * const tracing = createTaskerTracing({ tracer: provider.getTracer('tasker'), idGenerator });
 *
 * const router = createEventRouter({ backends: { trace: tracing.backend } });
 * // or, with trace sampling: createTaskerTracing({ ..., router }) registers its backend and
 * // makes no spans for the tasks the router drops
 * const tasker = createTasker({ tasks, router, middleware: [tracing.middleware], traceContext: tracing.traceContext });
 * ```
 */
export function createTaskerTracing(options: TaskerTracingOptions): TaskerTracing {
  const o = parseOptions('createTaskerTracing', schema, options);
  const warn = o.warn ?? defaultWarn;
  const filter = new AttributeFilter(o.sensitiveFields);
  const spans = new StepSpans(o.parkTimeoutMs, 10_000);
  const ids = randomIds();
  const parentMode = o.submitter === 'parent';
  const router = o.router;
  const name = o.name;
  const backend = createTraceBackend({
    name,
    tracer: o.tracer,
    idGenerator: o.idGenerator,
    spans,
    filter,
    warn,
    followsRouter: router !== undefined,
  });
  router?.addBackend(name, backend);
  // The handler runs inside its attempt's span: the step spans note the attempt (its ids serve
  // its log lines). An attempt without a span (its task's trace is dropped) is not noted.
  const middleware = createStepMiddleware({
    tracer: o.tracer,
    spans,
    filter,
    attributes: o.attributes,
    keepsTask:
      router === undefined ? undefined : (taskId) => router.keeps(TaskEvents.COMPLETED, name, taskId),
  });
  return {
    traceContext() {
      const submitter = trace.getSpanContext(context.active());
      const active = submitter !== undefined && trace.isSpanContextValid(submitter) ? submitter : undefined;
      if (parentMode && active !== undefined) {
        return taskTraceRecord(active.traceId, ids.spanId(), active.traceFlags, Date.now(), {
          parentSpanId: active.spanId,
        });
      }
      return taskTraceRecord(
        ids.traceId(),
        ids.spanId(),
        1,
        Date.now(),
        active === undefined
          ? {}
          : { link: formatTraceParent(active.traceId, active.spanId, active.traceFlags) },
      );
    },
    middleware,
    backend,
    logTraceFields: attemptLogTraceFields(spans.attempts),
    flush: () => spans.flush(),
  };
}
