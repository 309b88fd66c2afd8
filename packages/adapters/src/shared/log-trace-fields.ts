/**
 * The trace fields of a log line, named and written as `@opentelemetry/instrumentation-pino`
 * writes them (its default `logKeys`): `trace_id` (32 lowercase hex), `span_id` (16 lowercase
 * hex) and `trace_flags` (the W3C flags as two hex digits: `"01"` sampled, `"00"` not). A log
 * pipeline that already parses pino's correlated lines reads Tasker's the same way. No
 * OpenTelemetry import: `/logs` uses this with pino alone.
 */
import type { RoutedEvent } from '@tasker/router';
import { type TraceParent, traceParentOf } from './trace-parent';

/** `trace_id`, `span_id` and `trace_flags` of one log line. */
export interface LogTraceFields {
  readonly trace_id: string;
  readonly span_id: string;
  readonly trace_flags: string;
}

/** Finds the trace fields of an event's log line, or undefined when it has none. */
export type LogTraceFieldsOf = (event: RoutedEvent) => LogTraceFields | undefined;

/** W3C trace flags as two lowercase hex digits. */
export function traceFlagsHex(flags: number): string {
  if (flags === 1) return '01';
  if (flags === 0) return '00';
  return (flags & 0xff).toString(16).padStart(2, '0');
}

const CACHED = 10_000;

/**
 * Makes the fields from the task's trace record alone (the `traceparent` the orchestrator
 * copies into every event's `traceContext`): the task's trace and its root span. An event whose
 * task has no record (submitted without tracing) gets none. Every line of a task has the same
 * fields: they are made once per parsed `traceparent` (the parser hands out one object per
 * value) and shared by its lines. Bounded: when full, it starts over.
 */
export function recordTraceFields(): LogTraceFieldsOf {
  const made = new Map<TraceParent, LogTraceFields>();
  return (event) => {
    const parent = traceParentOf(event.payload);
    if (parent === undefined) return undefined;
    let fields = made.get(parent);
    if (fields === undefined) {
      fields = Object.freeze({
        trace_id: parent.traceId,
        span_id: parent.spanId,
        trace_flags: traceFlagsHex(parent.flags),
      });
      if (made.size >= CACHED) made.clear();
      made.set(parent, fields);
    }
    return fields;
  };
}
