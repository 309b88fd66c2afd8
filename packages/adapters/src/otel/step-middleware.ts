import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { TRACEPARENT } from '../shared/trace-parent';
import type { AttributeFilter } from './sensitive-attributes';
import { type RunningAttempt, type StepSpans, spanEndNow } from './step-spans';
import { readTaskTrace } from './task-trace-record';

/**
 * What the middleware reads of a step: the orchestrator's `StepInfo` (from
 * `@tasker/orchestrator`) fits it, so the middleware goes straight into `createTasker({ middleware })`.
 */
export interface TracedStepInfo {
  readonly taskId: string;
  readonly stepId: string;
  readonly stepName: string;
  readonly namespace: string;
  readonly taskName: string;
  readonly version: string;
  readonly attempt: number;
  readonly retryLimit: number;
  /** The task's trace-context record. */
  readonly traceContext: Readonly<Record<string, string>> | undefined;
  /** Fires when the attempt times out or is taken away: the span ends then, as an error. */
  readonly signal?: AbortSignal;
}

/** An orchestrator handler middleware: `createTasker({ middleware: [tracing.middleware] })`. */
export type TracingMiddleware = (step: TracedStepInfo, run: () => Promise<unknown>) => Promise<unknown>;

/** The span name of one attempt of a step. */
export const STEP_SPAN_NAME = 'tasker.step.execution';

export interface StepMiddlewareDeps {
  readonly tracer: Tracer;
  readonly spans: StepSpans;
  readonly filter: AttributeFilter;
  readonly attributes: ((step: TracedStepInfo) => Record<string, unknown>) | undefined;
  /**
   * The router's sampling decision for the task's trace (by task id); undefined: every task is
   * traced. A task it drops gets no step spans.
   */
  readonly keepsTask: ((taskId: string) => boolean) | undefined;
}

/** The task's root span as a remote parent, `sampled` or not; undefined without a trace. */
function rootContext(step: TracedStepInfo, sampled: boolean): Context | undefined {
  const t = readTaskTrace(step.traceContext, step.taskId);
  if (t === undefined) return undefined;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: t.traceId,
    spanId: t.rootSpanId,
    traceFlags: sampled ? t.flags : TraceFlags.NONE,
    isRemote: true,
  });
}

const CACHED_ROOTS = 10_000;

/**
 * Root contexts by `traceparent`: the steps of one task share theirs, so a record is parsed
 * and its context built once per task in this process, not once per attempt. Bounded: when
 * full, it starts over.
 */
class RootContexts {
  readonly #byTraceParent = new Map<string, Context>();

  get(step: TracedStepInfo): Context | undefined {
    const traceParent = step.traceContext?.[TRACEPARENT];
    if (traceParent === undefined) return rootContext(step, true);
    let ctx = this.#byTraceParent.get(traceParent);
    if (ctx === undefined) {
      ctx = rootContext(step, true);
      if (ctx === undefined) return undefined;
      if (this.#byTraceParent.size >= CACHED_ROOTS) this.#byTraceParent.clear();
      this.#byTraceParent.set(traceParent, ctx);
    }
    return ctx;
  }
}

/** Runs `run` inside `ctx`; a synchronous throw becomes a rejection. */
function runIn(ctx: Context, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return context.with(ctx, run);
  } catch (thrown) {
    return Promise.reject(thrown);
  }
}

function asError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  const e = new Error(typeof thrown === 'string' ? thrown : 'the step failed with a non-Error value');
  e.name = 'NonError';
  return e;
}

function markFailed(span: Span, thrown: unknown): void {
  const error = asError(thrown);
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
}

const ONCE = { once: true } as const;
const SETTLED = Promise.resolve();

/**
 * Listens to the signals of the attempts still running once their handler's reaction had its
 * turn. A handler that returns at once (a synchronous or cached result) has settled by then,
 * and the `.then` that ends its span has run: its signal gets no listener, which on Node 20
 * costs more than the rest of the middleware's own work (an EventTarget listener is a
 * validated options read, a Listener object and a callback; measured with the middleware alone
 * in a loop, see the commit that added this).
 *
 * Attempts are looked at in passes, one microtask per pass, not one per attempt. A pass may
 * have been queued before the reaction of an attempt that came later in the same burst (the
 * engine starts several steps at once), so an attempt is listened to at the second pass that
 * finds it running: that pass was queued after its reaction. An attempt whose signal fired in
 * between is ended at the pass, as its listener would have, in the same turn of the event loop.
 */
class AbortWatch {
  #pending: TracedAttempt[] = [];
  #queued = false;
  readonly #pass = (): void => {
    const batch = this.#pending;
    this.#pending = [];
    this.#queued = false;
    for (let i = 0; i < batch.length; i++) {
      const attempt = batch[i] as TracedAttempt;
      if (attempt.watch()) this.add(attempt);
    }
  };

  add(attempt: TracedAttempt): void {
    this.#pending.push(attempt);
    if (this.#queued) return;
    this.#queued = true;
    void SETTLED.then(this.#pass);
  }
}

/**
 * One attempt's span until it ends: when the handler settles, or when the attempt's signal
 * fires first (it is the signal's listener object; the listener is not removed when the
 * handler settles, it then does nothing). It is also the
 * attempt's entry in the step spans' table (`RunningAttempt`): its ids for log correlation,
 * and its span while it runs.
 */
class TracedAttempt implements RunningAttempt {
  span: Span | undefined;
  running = true;
  readonly attempt: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: number;
  readonly #stepId: string;
  // Held while it runs only: the table keeps finished attempts, and a signal is not small.
  #signal: AbortSignal | undefined;
  #passes = 0;
  readonly #spans: StepSpans;

  constructor(span: Span, step: TracedStepInfo, spans: StepSpans) {
    const c = span.spanContext();
    this.span = span;
    this.attempt = step.attempt;
    this.traceId = c.traceId;
    this.spanId = c.spanId;
    this.flags = c.traceFlags;
    this.#stepId = step.stepId;
    this.#signal = step.signal;
    this.#spans = spans;
  }

  /**
   * A pass of the watch found it: ends it if its signal fired, listens to the signal at its
   * second pass, and says whether it wants another pass. Never throws.
   */
  watch(): boolean {
    const signal = this.#signal;
    if (signal === undefined) return false;
    try {
      if (signal.aborted) this.handleEvent();
      else if (this.#passes++ > 0) signal.addEventListener('abort', this, ONCE);
      else return true;
    } catch {
      // A span that cannot be watched still ends when the handler settles.
    }
    return false;
  }

  /** The attempt's signal fired (timeout, lease lost, shutdown). */
  handleEvent(): void {
    this.failed(this.#signal?.reason ?? new Error('the step was aborted'));
  }

  succeeded(): void {
    const span = this.span;
    if (span === undefined) return;
    this.#finish();
    this.#spans.succeeded(span);
  }

  failed(thrown: unknown): void {
    const span = this.span;
    if (span === undefined) return;
    this.#finish();
    markFailed(span, thrown);
    this.#spans.failed(this.#stepId, this.attempt, span, spanEndNow());
  }

  /** No longer running: the table keeps the ids, not the span. */
  #finish(): void {
    this.span = undefined;
    this.#signal = undefined;
    this.running = false;
  }
}

/** Makes the middleware that runs each attempt inside its live `tasker.step.execution` span. */
export function createStepMiddleware(deps: StepMiddlewareDeps): TracingMiddleware {
  const { tracer, spans, filter, keepsTask } = deps;
  const roots = new RootContexts();
  const aborts = new AbortWatch();
  return (step, run) => {
    if (keepsTask !== undefined && !keepsTask(step.taskId)) {
      // The router drops this task's trace: no span, and the handler runs under the task's
      // trace marked not sampled, so the spans it makes are not recorded either (with the
      // SDK's default parent-based sampler).
      spans.sampledOut++;
      return runIn(rootContext(step, false) ?? context.active(), run);
    }
    const attributes: Attributes = {
      'tasker.task_id': step.taskId,
      'tasker.namespace': step.namespace,
      'tasker.task_name': step.taskName,
      'tasker.task_version': step.version,
      'tasker.step_id': step.stepId,
      'tasker.step_name': step.stepName,
      'tasker.attempt': step.attempt,
      'tasker.retry_limit': step.retryLimit,
    };
    if (deps.attributes !== undefined) {
      try {
        filter.addAttributes(attributes, deps.attributes(step));
      } catch {
        // Extra attributes are best effort: a throwing callback must not fail the step.
      }
    }
    const parent = roots.get(step) ?? context.active();
    const span = tracer.startSpan(STEP_SPAN_NAME, { kind: SpanKind.INTERNAL, attributes }, parent);
    const attempt = new TracedAttempt(span, step, spans);
    spans.started(step.stepId, attempt);
    const signal = step.signal;
    if (signal?.aborted === true) attempt.handleEvent();
    const settled = runIn(trace.setSpan(parent, span), run).then(
      (result) => {
        attempt.succeeded();
        return result;
      },
      (thrown: unknown) => {
        attempt.failed(thrown);
        throw thrown;
      },
    );
    // After the `.then`: a handler already settled has its reaction queued before the watch.
    if (signal !== undefined && attempt.running) aborts.add(attempt);
    return settled;
  };
}
