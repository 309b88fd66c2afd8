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
import type { AttributeFilter } from './sensitive-attributes';
import { type StepSpans, spanEndNow } from './step-spans';
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

/** The task's root span as a remote parent, `sampled` or not; the active context without a trace. */
function parentContext(step: TracedStepInfo, sampled: boolean): Context {
  const t = readTaskTrace(step.traceContext, step.taskId);
  if (t === undefined) return context.active();
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: t.traceId,
    spanId: t.rootSpanId,
    traceFlags: sampled ? t.flags : TraceFlags.NONE,
    isRemote: true,
  });
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

/** Makes the middleware that runs each attempt inside its live `tasker.step.execution` span. */
export function createStepMiddleware(deps: StepMiddlewareDeps): TracingMiddleware {
  const { tracer, spans, filter, keepsTask } = deps;
  return (step, run) => {
    if (keepsTask !== undefined && !keepsTask(step.taskId)) {
      // The router drops this task's trace: no span, and the handler runs under the task's
      // trace marked not sampled, so the spans it makes are not recorded either (with the
      // SDK's default parent-based sampler).
      spans.sampledOut++;
      return runIn(parentContext(step, false), run);
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
    const parent = parentContext(step, true);
    const span = tracer.startSpan(STEP_SPAN_NAME, { kind: SpanKind.INTERNAL, attributes }, parent);
    spans.started(step.stepId, span);
    let done = false;
    const signal = step.signal;
    const onAbort = () => {
      if (done) return;
      done = true;
      markFailed(span, signal?.reason ?? new Error('the step was aborted'));
      spans.failed(step.stepId, step.attempt, span, spanEndNow());
    };
    if (signal !== undefined) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
    return runIn(trace.setSpan(parent, span), run).then(
      (result) => {
        signal?.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          spans.succeeded(step.stepId, span);
        }
        return result;
      },
      (thrown: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          markFailed(span, thrown);
          spans.failed(step.stepId, step.attempt, span, spanEndNow());
        }
        throw thrown;
      },
    );
  };
}
