/**
 * Step attempt spans, made live by the engine's handler middleware: the handler runs inside
 * its span's context, so spans it creates (an instrumented HTTP call, a query) nest under it.
 *
 * A span's life:
 *
 * - started when the middleware is entered, as a child of the task's root span (whose id is in
 *   the task's trace-context record, whichever process runs the step);
 * - a successful attempt ends when the handler returns;
 * - a failed (or timed-out) attempt is marked as an error with the exception recorded, and
 *   waits (parked) with its end time fixed for the step's `observability.step.backoff` or
 *   `step.failed` event, which this process publishes right after it records the failure: the
 *   backoff then becomes a span event, and the span ends at the recorded time. A parked span
 *   whose event never comes (the event is not routed to the trace backend, the lease was lost)
 *   ends on its own after `parkTimeoutMs`.
 *
 * Times: a span starts at the SDK's own time (`Date.now()`, which the SDK truncates to the
 * millisecond, then its high-resolution clock for the end). Spans the handler makes start the
 * same way, so a child could appear to end up to 1 ms after its step span if the step span
 * ended by the SDK's clock. A step span therefore ends at {@link spanEndNow}: the next whole
 * millisecond of `Date.now()`, an upper bound of every end recorded before it. A parked span
 * ends at the time taken when its attempt failed.
 */
import type { Span } from '@opentelemetry/api';
import { type AttemptSpan, AttemptSpanIds } from './attempt-log-correlation';

/** The end time of a span ending now: `Date.now()` rounded up to the next millisecond. */
export function spanEndNow(): number {
  return Date.now() + 1;
}

interface Parked {
  readonly span: Span;
  readonly endedAt: number;
  readonly timer: NodeJS.Timeout;
}

/** An attempt that the middleware runs inside its span; `span` is undefined once it ended. */
export interface RunningAttempt extends AttemptSpan {
  readonly span: Span | undefined;
}

/** The live and parked step spans of this process. */
export class StepSpans {
  /**
   * Attempts by step id, the latest of each: while one runs, custom events emitted by its
   * handler become events of its span; after, its ids serve log correlation.
   */
  readonly attempts = new AttemptSpanIds<RunningAttempt>();
  #live = 0;
  readonly #parked = new Map<string, Parked>();
  readonly #timeoutMs: number;
  readonly #limit: number;
  #started = 0;
  #ended = 0;
  /** Attempts run without a span: the router drops their task's trace. */
  sampledOut = 0;

  constructor(parkTimeoutMs: number, parkLimit: number) {
    this.#timeoutMs = parkTimeoutMs;
    this.#limit = parkLimit;
  }

  started(stepId: string, attempt: RunningAttempt): void {
    this.#started++;
    this.#live++;
    this.attempts.remember(stepId, attempt);
  }

  /** The span of `stepId`'s attempt running now, if any. */
  liveSpan(stepId: string): Span | undefined {
    return this.attempts.latest(stepId)?.span;
  }

  /** The attempt succeeded: the span ends now. */
  succeeded(span: Span): void {
    this.#live--;
    span.end(spanEndNow());
    this.#ended++;
  }

  /** The attempt failed at `endedAt` (from {@link spanEndNow}): park its span. */
  failed(stepId: string, attempt: number, span: Span, endedAt: number): void {
    this.#live--;
    const key = `${stepId}#${attempt}`;
    this.#finish(key); // an earlier span of the same attempt (a takeover) ends first
    if (this.#parked.size >= this.#limit) {
      span.end(endedAt);
      this.#ended++;
      return;
    }
    const timer = setTimeout(() => this.#finish(key), this.#timeoutMs);
    timer.unref();
    this.#parked.set(key, { span, endedAt, timer });
  }

  /** Ends the parked span of an attempt, with a backoff event when `backoff` is given. */
  settle(stepId: string, attempt: number, backoff?: Record<string, number>): boolean {
    return this.#finish(`${stepId}#${attempt}`, backoff);
  }

  /** Ends every parked span now. */
  flush(): void {
    for (const key of [...this.#parked.keys()]) this.#finish(key);
  }

  stats(): { started: number; ended: number; live: number; parked: number; sampledOut: number } {
    return {
      started: this.#started,
      ended: this.#ended,
      live: this.#live,
      parked: this.#parked.size,
      sampledOut: this.sampledOut,
    };
  }

  #finish(key: string, backoff?: Record<string, number>): boolean {
    const p = this.#parked.get(key);
    if (p === undefined) return false;
    this.#parked.delete(key);
    clearTimeout(p.timer);
    if (backoff !== undefined) p.span.addEvent('tasker.step.backoff', backoff, p.endedAt);
    p.span.end(p.endedAt);
    this.#ended++;
    return true;
  }
}
