/**
 * Log correlation with traces: which `trace_id` and `span_id` a log line of a task carries.
 *
 * - A task event (`task.completed`, a workflow event, …) carries the task's trace and its root
 *   span `tasker.task.execution`.
 * - A step event (`step.completed`, `step.failed`, a custom event the handler emits, …) carries
 *   the span of that attempt, `tasker.step.execution`, when this process ran the attempt and
 *   still remembers it: the middleware notes each attempt's span id as the handler starts, and
 *   keeps it for at least the next 2,048 attempts of the process ({@link AttemptSpanIds}). The engine publishes a step's events from the
 *   process that ran it, right after the attempt, so this is the usual case. Otherwise (another
 *   process ran it, an older attempt, a step forgotten) the line carries the root span.
 *
 * - A custom event a handler emits carries no trace record; it gets its running attempt's span
 *   when remembered, and no trace fields otherwise.
 *
 * Ids come from the task's trace record, or from its task id when it has none, as the trace
 * backend derives them: a task this tracing traces always gets them. `trace_flags` are the
 * record's, or the attempt span's own when the line carries that span.
 */
import type { RoutedEvent } from '@tasker/router';
import { type LogTraceFields, traceFlagsHex } from '../shared/log-trace-fields';
import { readTaskTrace } from './task-trace-record';

/** At most this many finished attempts' spans are held, at least half as many remembered. */
export const REMEMBERED_ATTEMPTS = 4096;

/** The span of one attempt, as a log line needs it. */
export interface AttemptSpan {
  readonly attempt: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: number;
  /** True while the attempt runs: such an attempt is never forgotten (its span is live). */
  readonly running?: boolean;
}

/**
 * The span of each step's latest attempt run in this process, in two generations: attempts go
 * into the current map, and when it holds `limit / 2` the current map becomes the previous one
 * (the older previous one is dropped whole, but for its attempts still running, which move to
 * the new current map). So an attempt is remembered for at least the next `limit / 2`
 * attempts, and as long as it runs; at most `limit` plus the running ones are held, and nothing
 * is ever deleted one by one: V8's Map pays for deletes (a ring of the last attempts with a
 * delete per attempt measured about 4× the cost of this, ~0.5 µs against ~0.13 µs per attempt
 * on a loaded 2-core machine). The step spans' middleware keeps its running attempts here too
 * (an attempt is its own entry), so one map write per attempt serves both.
 */
export class AttemptSpanIds<A extends AttemptSpan = AttemptSpan> {
  #current = new Map<string, A>();
  #previous = new Map<string, A>();
  readonly #generation: number;

  constructor(limit = REMEMBERED_ATTEMPTS) {
    this.#generation = Math.max(1, Math.floor(limit / 2));
  }

  remember(stepId: string, attempt: A): void {
    if (this.#current.size >= this.#generation) {
      const dropped = this.#previous;
      this.#previous = this.#current;
      this.#current = new Map();
      // Once per generation, not per attempt: a running attempt outlives its generation.
      for (const [id, a] of dropped)
        if (a.running === true && !this.#previous.has(id)) this.#current.set(id, a);
    }
    this.#current.set(stepId, attempt);
  }

  /** The remembered span of `stepId`'s `attempt` in trace `traceId`, if any. */
  find(stepId: string, attempt: number, traceId: string): A | undefined {
    const a = this.latest(stepId);
    return a !== undefined && a.attempt === attempt && a.traceId === traceId ? a : undefined;
  }

  /** The span of `stepId`'s latest attempt, if remembered. */
  latest(stepId: string): A | undefined {
    return this.#current.get(stepId) ?? this.#previous.get(stepId);
  }

  /** Attempts held (a step in both generations counts twice). */
  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}

/** Makes `tracing.logTraceFields`, for `createLogsBackend({ traceFields })`. */
export function attemptLogTraceFields(
  attempts: AttemptSpanIds,
): (event: RoutedEvent) => LogTraceFields | undefined {
  return (event) => {
    const p = event.payload;
    if (typeof p !== 'object' || p === null) return undefined;
    const payload = p as Record<string, unknown>;
    const { taskId, stepId, attempt } = payload;
    if (!('traceContext' in payload)) {
      // A custom event emitted by a handler carries its step but not the task's record: it is
      // emitted while its attempt runs, the one remembered last for the step.
      const running = typeof stepId === 'string' ? attempts.latest(stepId) : undefined;
      return running === undefined ? undefined : fieldsOf(running.traceId, running.spanId, running.flags);
    }
    // A catalog event always has the field, undefined for a task without a record.
    const t = readTaskTrace(payload.traceContext, typeof taskId === 'string' ? taskId : undefined);
    if (t === undefined) return undefined;
    const step =
      typeof stepId === 'string' && typeof attempt === 'number'
        ? attempts.find(stepId, attempt, t.traceId)
        : undefined;
    return step === undefined
      ? fieldsOf(t.traceId, t.rootSpanId, t.flags)
      : fieldsOf(t.traceId, step.spanId, step.flags);
  };
}

function fieldsOf(traceId: string, spanId: string, flags: number): LogTraceFields {
  return { trace_id: traceId, span_id: spanId, trace_flags: traceFlagsHex(flags) };
}
