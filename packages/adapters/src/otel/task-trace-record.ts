/**
 * The task's trace-context record: what the orchestrator stores with a task at submit (#5's
 * propagation record) and copies into every event payload and every step's middleware info.
 *
 * | key                  | value                                                                      |
 * | -------------------- | -------------------------------------------------------------------------- |
 * | `traceparent`        | W3C: the task's trace id and its root span's reserved id                    |
 * | `tasker.started_at`  | epoch ms when the task was submitted: the root span's start                 |
 * | `tasker.parent_span` | the submitter's span id, when the task's trace continues the submitter's    |
 * | `tasker.link`        | the submitter's `traceparent`, when the task's trace only links to it       |
 *
 * A task without a `traceparent` (submitted before tracing was set up, or by a process that
 * does not trace) gets ids derived from its task id, the same in every process, so its steps
 * and its root span still form one trace; its root span then starts at the task's creation.
 */
import { createHash } from 'node:crypto';
import { formatTraceParent, parseTraceParent, TRACEPARENT, type TraceParent } from '../shared/trace-parent';

export const STARTED_AT = 'tasker.started_at';
export const PARENT_SPAN = 'tasker.parent_span';
export const LINK = 'tasker.link';

/** Where a task's trace stands, read from its record (or derived from its id). */
export interface TaskTrace {
  readonly traceId: string;
  readonly rootSpanId: string;
  readonly flags: number;
  /** Epoch ms; undefined when the record has none (use the task's creation time). */
  readonly startedAt: number | undefined;
  /** The submitter's span, the root span's parent, in `parent` mode. */
  readonly parentSpanId: string | undefined;
  /** The submitter's span, linked from the root span, in `link` mode. */
  readonly link: TraceParent | undefined;
  /** True when the ids come from the task id, not from a record. */
  readonly derived: boolean;
}

/** Builds the record of a new task. */
export function taskTraceRecord(
  traceId: string,
  rootSpanId: string,
  flags: number,
  startedAt: number,
  submitter: { readonly parentSpanId?: string; readonly link?: string },
): Record<string, string> {
  const record: Record<string, string> = {
    [TRACEPARENT]: formatTraceParent(traceId, rootSpanId, flags),
    [STARTED_AT]: String(startedAt),
  };
  if (submitter.parentSpanId !== undefined) record[PARENT_SPAN] = submitter.parentSpanId;
  if (submitter.link !== undefined) record[LINK] = submitter.link;
  return record;
}

const SPAN_ID = /^[0-9a-f]{16}$/;

/** The ids a task id stands for when its record has none. */
export function derivedTaskTrace(taskId: string): TaskTrace {
  const hex = createHash('sha256').update(`tasker.task:${taskId}`).digest('hex');
  return {
    traceId: hex.slice(0, 32),
    rootSpanId: hex.slice(32, 48),
    flags: 1,
    startedAt: undefined,
    parentSpanId: undefined,
    link: undefined,
    derived: true,
  };
}

/** Reads a task's trace from its record; falls back to ids derived from `taskId`. */
export function readTaskTrace(record: unknown, taskId: string | undefined): TaskTrace | undefined {
  if (typeof record === 'object' && record !== null) {
    const r = record as Record<string, unknown>;
    const parent = parseTraceParent(r[TRACEPARENT]);
    if (parent !== undefined) {
      const started = Number(r[STARTED_AT]);
      const parentSpan = r[PARENT_SPAN];
      return {
        traceId: parent.traceId,
        rootSpanId: parent.spanId,
        flags: parent.flags,
        startedAt: r[STARTED_AT] !== undefined && Number.isFinite(started) ? started : undefined,
        parentSpanId: typeof parentSpan === 'string' && SPAN_ID.test(parentSpan) ? parentSpan : undefined,
        link: parseTraceParent(r[LINK]),
        derived: false,
      };
    }
  }
  return typeof taskId === 'string' && taskId.length > 0 ? derivedTaskTrace(taskId) : undefined;
}
