import type { MetricType } from './metric-name';
import type { MetricsSnapshot } from './snapshot';

/**
 * The snapshot a process sends over IPC when asked for its metrics (see
 * {@link serveClusterMetrics}). It is compact on purpose: a family is a handful of flat arrays,
 * not one object per series, so that Node's IPC (JSON by default in `node:cluster`) encodes and
 * decodes it fast and the primary merges it in one linear pass.
 *
 * - `labels` holds the label values of every series in `labelNames` order, one after the other
 *   (`labelNames.length` strings per series). The overflow series is the one at index
 *   `overflow` (−1 when there is none); its values are empty strings.
 * - `values` holds `width` numbers per series: a counter's or gauge's value; a histogram's
 *   cumulative bucket counts (`+Inf` last) followed by its sum.
 * - `counts` holds the family's refusal counts: folded updates, evicted series, invalid values,
 *   invalid labels, invalid exemplars, collect errors.
 *
 * `labels`, `created` and `overflow` describe which series a family has, which rarely changes:
 * when they are the same as in the process's answer to the request named `base` (which the
 * primary says it holds), `labels` and `created` are sent as `null` and the primary takes them
 * from that answer.
 * A scrape of an unchanged set of series then carries the values only.
 *
 * Exemplars are not carried: a merged scrape has none.
 */
export interface WireFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string | null;
  readonly labelNames: readonly string[];
  /** A histogram's upper bounds without `+Inf`; empty for counters and gauges. */
  readonly buckets: readonly number[];
  readonly seriesLimit: number;
  readonly counts: readonly number[];
  readonly overflow: number;
  readonly labels: readonly string[] | null;
  readonly values: readonly number[];
  readonly created: readonly number[] | null;
}

/** A family whose series are spelled out (after the primary filled in what was left out). */
export interface FullWireFamily extends WireFamily {
  readonly labels: readonly string[];
  readonly created: readonly number[];
}

/** One process's answer. */
export interface WireSnapshot {
  readonly timestamp: number;
  readonly families: readonly WireFamily[];
}

/** A snapshot whose families are all spelled out. */
export interface FullWireSnapshot extends WireSnapshot {
  readonly families: readonly FullWireFamily[];
}

/** The message the primary sends to ask a process for its snapshot. */
export interface WireRequest {
  readonly type: typeof REQUEST_TYPE;
  readonly id: number;
  /** The id of this process's answer that the primary holds, or −1. */
  readonly base: number;
}

/** The message a process answers with. */
export interface WireReply {
  readonly type: typeof REPLY_TYPE;
  readonly id: number;
  readonly snapshot: WireSnapshot;
}

export const REQUEST_TYPE = 'tasker:metrics:collect';
export const REPLY_TYPE = 'tasker:metrics:snapshot';

/** Numbers per series in `values`. */
export function wireWidth(type: MetricType, buckets: readonly number[]): number {
  return type === 'histogram' ? buckets.length + 2 : 1;
}

/** Turns a registry snapshot into its wire form, with every family spelled out. */
export function toWire(snapshot: MetricsSnapshot): FullWireSnapshot {
  const families: FullWireFamily[] = [];
  for (const family of snapshot.families) {
    const labelNames = family.labelNames;
    const buckets = family.type === 'histogram' ? family.buckets : [];
    const n = family.series.length;
    const labels: string[] = new Array(n * labelNames.length);
    const values: number[] = new Array(n * wireWidth(family.type, buckets));
    const created: number[] = new Array(n);
    let overflow = -1;
    let l = 0;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const series = family.series[i] as (typeof family.series)[number];
      created[i] = series.created;
      if (series.overflow) {
        overflow = i;
        for (let k = 0; k < labelNames.length; k++) labels[l++] = '';
      } else {
        for (let k = 0; k < labelNames.length; k++)
          labels[l++] = series.labels[labelNames[k] as string] ?? '';
      }
      if (family.type === 'histogram') {
        const s = series as (typeof family.series)[number];
        const counts = s.counts;
        for (let b = 0; b < counts.length; b++) values[v++] = counts[b] as number;
        values[v++] = s.sum;
      } else {
        values[v++] = (series as { value: number }).value;
      }
    }
    families.push({
      name: family.name,
      type: family.type,
      help: family.help,
      unit: family.unit ?? null,
      labelNames,
      buckets,
      seriesLimit: family.seriesLimit,
      counts: [
        family.foldedUpdates,
        family.evictedSeries,
        family.dropped.invalidValue,
        family.dropped.invalidLabels,
        family.dropped.invalidExemplar,
        family.collectErrors,
      ],
      overflow,
      labels,
      values,
      created,
    });
  }
  return { timestamp: snapshot.timestamp, families };
}

/** True for a well-formed reply to request `id`. Only the envelope is checked here. */
export function isWireReply(message: unknown, id: number): message is WireReply {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Partial<WireReply>;
  return (
    m.type === REPLY_TYPE &&
    m.id === id &&
    typeof m.snapshot === 'object' &&
    m.snapshot !== null &&
    Array.isArray(m.snapshot.families)
  );
}

/** True for a request from the primary. */
export function isWireRequest(message: unknown): message is WireRequest {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Partial<WireRequest>).type === REQUEST_TYPE &&
    typeof (message as Partial<WireRequest>).id === 'number' &&
    typeof (message as Partial<WireRequest>).base === 'number'
  );
}

function sameArrays<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `full` with the series lists of families unchanged since `base` (the answer the primary
 * holds) left out.
 */
export function leaveOutKnown(full: FullWireSnapshot, base: FullWireSnapshot | undefined): WireSnapshot {
  if (base === undefined) return full;
  const before = new Map<string, FullWireFamily>();
  for (const family of base.families) before.set(family.name, family);
  const families = full.families.map((family): WireFamily => {
    const old = before.get(family.name);
    if (
      old === undefined ||
      old.overflow !== family.overflow ||
      !sameArrays(old.labels, family.labels) ||
      !sameArrays(old.created, family.created)
    ) {
      return family;
    }
    return { ...family, labels: null, created: null };
  });
  return { timestamp: full.timestamp, families };
}

/**
 * `answer` with what was left out taken from `base`. A family left out that `base` lacks (which
 * a well-behaved process never sends) is dropped.
 */
export function fillIn(answer: WireSnapshot, base: FullWireSnapshot | undefined): FullWireSnapshot {
  const before = new Map<string, FullWireFamily>();
  for (const family of base?.families ?? []) before.set(family.name, family);
  const families: FullWireFamily[] = [];
  for (const family of answer.families) {
    if (family.labels !== null && family.created !== null) {
      families.push(family as FullWireFamily);
      continue;
    }
    const old = before.get(family.name);
    if (old === undefined) continue;
    families.push({ ...family, labels: old.labels, created: old.created });
  }
  return { timestamp: answer.timestamp, families };
}
