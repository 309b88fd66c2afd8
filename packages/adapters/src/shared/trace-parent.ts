/**
 * Reading W3C `traceparent` values (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`) from
 * the opaque trace-context record that the orchestrator stores with a task and copies into
 * every event payload. No OpenTelemetry import: `/native` uses it for exemplars.
 */

/** The key of the W3C trace parent in a trace-context record. */
export const TRACEPARENT = 'traceparent';

const HEX = /^[0-9a-f]+$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** The parts of a valid `traceparent`. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: number;
}

const CACHED = 10_000;
/**
 * Valid values already parsed: every event and attempt of a task carries the same one. Bounded:
 * when full, it starts over.
 */
const parsed = new Map<string, TraceParent>();

/** Parses a `traceparent` value, or returns undefined when it is not a valid version-00 one. */
export function parseTraceParent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string' || value.length !== 55) return undefined;
  const known = parsed.get(value);
  if (known !== undefined) return known;
  const parent = parseNew(value);
  if (parent !== undefined) {
    if (parsed.size >= CACHED) parsed.clear();
    parsed.set(value, parent);
  }
  return parent;
}

function parseNew(value: string): TraceParent | undefined {
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-' || !value.startsWith('00')) return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flags = value.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return Object.freeze({ traceId, spanId, flags: Number.parseInt(flags, 16) });
}

/** Formats a version-00 `traceparent`. */
export function formatTraceParent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${flags.toString(16).padStart(2, '0')}`;
}

/** The `traceparent` of a payload's `traceContext`, when it has a valid one. */
export function traceParentOf(payload: unknown): TraceParent | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const context = (payload as { traceContext?: unknown }).traceContext;
  if (typeof context !== 'object' || context === null) return undefined;
  return parseTraceParent((context as Record<string, unknown>)[TRACEPARENT]);
}
