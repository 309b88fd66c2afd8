/**
 * What one log line holds: a short message and a small object of fields, the task id as the
 * correlation id. Built from the payload's known fields only: a payload may be large (a
 * context) or hostile (a getter that throws), so nothing is spread or serialized whole.
 */

import type { LogTraceFields } from '../shared/log-trace-fields';

/** The fields of a log line (pino puts them next to `level`, `time` and `msg`). */
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

const STRINGS = ['taskId', 'namespace', 'taskName', 'version', 'stepId', 'stepName', 'reason'] as const;
const NUMBERS = ['attempt', 'retryLimit', 'durationMs', 'backoffMs'] as const;
const MAX_TEXT = 500;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** The fields of event `name` with `payload` (any value: bad fields are left out). */
export function logFields(name: string, payload: unknown, samplingRate: number): LogFields {
  const fields: Record<string, unknown> = { event: name };
  if (typeof payload === 'object' && payload !== null) {
    const p = payload as Record<string, unknown>;
    for (const key of STRINGS) {
      const v = p[key];
      if (typeof v === 'string') fields[key] = clip(v);
    }
    for (const key of NUMBERS) {
      const v = p[key];
      if (typeof v === 'number' && Number.isFinite(v)) fields[key] = v;
    }
    const e = p.error;
    if (typeof e === 'object' && e !== null) {
      const { name: en, message, code } = e as Record<string, unknown>;
      if (typeof en === 'string' && typeof message === 'string') {
        fields.error =
          typeof code === 'string'
            ? { name: clip(en), message: clip(message), code: clip(code) }
            : { name: clip(en), message: clip(message) };
      }
    }
    if (typeof fields.taskId === 'string') fields.correlationId = fields.taskId;
  }
  if (samplingRate < 1) fields.samplingRate = samplingRate;
  return fields as unknown as LogFields;
}

/** Adds the trace fields to a line's fields (made by {@link logFields}, so still writable). */
export function withTrace(fields: LogFields, trace: LogTraceFields): void {
  const f = fields as { trace_id?: string; span_id?: string; trace_flags?: string };
  f.trace_id = trace.trace_id;
  f.span_id = trace.span_id;
  f.trace_flags = trace.trace_flags;
}

/**
 * A short message: `step charge_payment failed (attempt 2/4): card declined`,
 * `task shop.order@1.0.0 completed in 812 ms`.
 */
export function logMessage(name: string, f: LogFields): string {
  const dot = name.lastIndexOf('.');
  const what = (dot < 0 ? name : name.slice(dot + 1)).replaceAll('_', ' ');
  const group = name.startsWith('task.') ? 'task' : name.startsWith('step.') ? 'step' : undefined;
  let subject: string;
  if (group === 'step' || (f.stepName !== undefined && group !== 'task'))
    subject = `step ${f.stepName ?? '?'}`;
  else if (f.taskName !== undefined)
    subject = `task ${f.namespace ?? '?'}.${f.taskName}${f.version === undefined ? '' : `@${f.version}`}`;
  else subject = name.slice(0, dot < 0 ? name.length : dot);
  let text = `${subject} ${what}`;
  if (group === 'step' && f.attempt !== undefined)
    text += ` (attempt ${f.attempt}${f.retryLimit === undefined ? '' : `/${f.retryLimit + 1}`})`;
  // A retry's payload may carry the failed attempt's duration; its message is about the next one.
  if (f.durationMs !== undefined && f.backoffMs === undefined) text += ` in ${Math.round(f.durationMs)} ms`;
  if (f.backoffMs !== undefined && f.backoffMs > 0) text += `, next attempt in ${Math.round(f.backoffMs)} ms`;
  if (f.error !== undefined) text += `: ${f.error.message}`;
  return text;
}
