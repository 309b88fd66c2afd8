/**
 * Checks of an exported span tree that hold whatever the machine's speed: shape, parent ids
 * and nesting of time ranges. No durations are asserted.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A span reduced to what the checks read (from the SDK or from an exporter's JSON). */
export interface SpanRecord {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** Nanoseconds since the epoch, as bigints (no precision lost). */
  readonly start: bigint;
  readonly end: bigint;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly events: readonly { name: string; attributes: Readonly<Record<string, unknown>>; time: bigint }[];
  readonly status: { code: number; message?: string };
  readonly resource: Readonly<Record<string, unknown>>;
}

const ns = (t: readonly [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

export function fromSdk(span: ReadableSpan): SpanRecord {
  return {
    name: span.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    start: ns(span.startTime),
    end: ns(span.endTime),
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes ?? {}, time: ns(e.time) })),
    status: span.status,
    resource: span.resource.attributes,
  };
}

/**
 * Problems with the tree of one trace: a parent id missing from the spans, a child whose time
 * range is not inside its parent's, more or less than one root. Empty when all is well.
 */
export function treeProblems(spans: readonly SpanRecord[]): string[] {
  const problems: string[] = [];
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  if (byId.size !== spans.length) problems.push('duplicate span ids');
  const roots = spans.filter((s) => s.parentSpanId === undefined);
  if (roots.length !== 1) problems.push(`${roots.length} roots: ${roots.map((r) => r.name).join(', ')}`);
  for (const s of spans) {
    if (s.traceId !== spans[0]?.traceId) problems.push(`${s.name} ${s.spanId} is in another trace`);
    if (s.parentSpanId === undefined) continue;
    const parent = byId.get(s.parentSpanId);
    if (parent === undefined) {
      problems.push(`${s.name} ${s.spanId}: parent ${s.parentSpanId} is not exported`);
      continue;
    }
    if (s.start < parent.start || s.end > parent.end) {
      problems.push(
        `${s.name} ${s.spanId} [${s.start}, ${s.end}] is not inside ${parent.name} ${parent.spanId} [${parent.start}, ${parent.end}]`,
      );
    }
    if (s.end < s.start) problems.push(`${s.name} ${s.spanId} ends before it starts`);
  }
  return problems;
}

/** The spans under `parent`, by name. */
export function childrenOf<T extends SpanRecord>(spans: readonly T[], parent: SpanRecord): T[] {
  return spans.filter((s) => s.parentSpanId === parent.spanId);
}
