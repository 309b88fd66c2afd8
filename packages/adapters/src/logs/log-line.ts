/**
 * What one log line holds: a short message and a small object of fields, the task id as the
 * correlation id. Built from the payload's known fields only: a payload may be large (a
 * context) or hostile (a getter that throws), so nothing is spread or serialized whole.
 */

import type { LogTraceFields } from '../shared/log-trace-fields';

/**
 * The fields of a log line (pino puts them next to `level`, `time` and `msg`). A field the line
 * does not have is undefined; pino and JSON leave it out.
 */
export interface LogFields {
  readonly event: string;
  readonly correlationId?: string;
  readonly taskId?: string;
  readonly namespace?: string;
  readonly taskName?: string;
  readonly version?: string;
  readonly stepId?: string;
  readonly stepName?: string;
  readonly attempt?: number;
  readonly retryLimit?: number;
  readonly durationMs?: number;
  readonly backoffMs?: number;
  readonly samplingRate?: number;
  readonly error?: { readonly name: string; readonly message: string; readonly code?: string };
  readonly reason?: string;
  /** The task's trace, when it has one (`LogTraceFields`). */
  readonly trace_id?: string;
  readonly span_id?: string;
  readonly trace_flags?: string;
}

const MAX_TEXT = 500;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' ? clip(v) : undefined;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function errorOf(e: unknown): LogFields['error'] {
  if (typeof e !== 'object' || e === null) return undefined;
  const { name, message, code } = e as Record<string, unknown>;
  if (typeof name !== 'string' || typeof message !== 'string') return undefined;
  return typeof code === 'string'
    ? { name: clip(name), message: clip(message), code: clip(code) }
    : { name: clip(name), message: clip(message) };
}

const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The fields of event `name` with `payload` (any value: bad fields are left out) and the
 * line's trace fields. One object literal of a fixed shape, a field the line does not have
 * being undefined, which pino (and JSON) leave out: built in one go, it costs a fraction of an
 * object grown field by field (measured with the logs backend in bench/adapters-overhead-replay.ts).
 */
export function logFields(
  name: string,
  payload: unknown,
  samplingRate: number,
  trace: LogTraceFields | undefined,
): LogFields {
  const p =
    typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : NO_FIELDS;
  const taskId = text(p.taskId);
  return {
    event: name,
    taskId,
    namespace: text(p.namespace),
    taskName: text(p.taskName),
    version: text(p.version),
    stepId: text(p.stepId),
    stepName: text(p.stepName),
    reason: text(p.reason),
    attempt: finite(p.attempt),
    retryLimit: finite(p.retryLimit),
    durationMs: finite(p.durationMs),
    backoffMs: finite(p.backoffMs),
    error: errorOf(p.error),
    correlationId: taskId,
    samplingRate: samplingRate < 1 ? samplingRate : undefined,
    trace_id: trace?.trace_id,
    span_id: trace?.span_id,
    trace_flags: trace?.trace_flags,
  };
}

/** What the message of an event name starts from, worked out once per name. */
export interface MessageParts {
  /** The last part of the name, with spaces: `retry requested`. */
  readonly what: string;
  readonly group: 'task' | 'step' | undefined;
  /** The subject when the line names neither a step nor a task: the name's first parts. */
  readonly prefix: string;
}

/** The message parts of event `name`. */
export function messageParts(name: string): MessageParts {
  const dot = name.lastIndexOf('.');
  return {
    what: (dot < 0 ? name : name.slice(dot + 1)).replaceAll('_', ' '),
    group: name.startsWith('task.') ? 'task' : name.startsWith('step.') ? 'step' : undefined,
    prefix: name.slice(0, dot < 0 ? name.length : dot),
  };
}

/**
 * A short message: `step charge_payment failed (attempt 2/4): card declined`,
 * `task shop.order@1.0.0 completed in 812 ms`.
 */
export function logMessage(parts: MessageParts, f: LogFields): string {
  const { what, group } = parts;
  let subject: string;
  if (group === 'step' || (f.stepName !== undefined && group !== 'task'))
    subject = `step ${f.stepName ?? '?'}`;
  else if (f.taskName !== undefined)
    subject = `task ${f.namespace ?? '?'}.${f.taskName}${f.version === undefined ? '' : `@${f.version}`}`;
  else subject = parts.prefix;
  let text = `${subject} ${what}`;
  if (group === 'step' && f.attempt !== undefined)
    text += ` (attempt ${f.attempt}${f.retryLimit === undefined ? '' : `/${f.retryLimit + 1}`})`;
  // A retry's payload may carry the failed attempt's duration; its message is about the next one.
  if (f.durationMs !== undefined && f.backoffMs === undefined) text += ` in ${Math.round(f.durationMs)} ms`;
  if (f.backoffMs !== undefined && f.backoffMs > 0) text += `, next attempt in ${Math.round(f.backoffMs)} ms`;
  if (f.error !== undefined) text += `: ${f.error.message}`;
  return text;
}
