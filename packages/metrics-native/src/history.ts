import { MetricsError } from './errors';
import type { RetentionRings } from './retention-rings';
import type { SeriesFamily } from './series-family';
import { showValue } from './validation-message';

/** What `registry.history(name, query)` reads. */
export interface HistoryQuery {
  /**
   * Only series whose labels include these (name → value); all series when omitted. Names
   * must be label names of the instrument.
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** How far back, in milliseconds: the finest tier whose ring spans it serves the query. */
  readonly window: number;
}

/** A counter or gauge value: the last one sampled in the interval that starts at `timestamp`. */
export interface HistoryPoint {
  readonly timestamp: number;
  readonly value: number;
}

/** A histogram's count and sum, last sampled in the interval that starts at `timestamp`. */
export interface HistogramHistoryPoint {
  readonly timestamp: number;
  readonly count: number;
  readonly sum: number;
}

/** The points of one series, oldest first. Intervals without a sample are left out. */
export interface SeriesHistory<P> {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly P[];
}

interface HistoryBase {
  readonly name: string;
  /** The resolution of the tier that served the query. */
  readonly resolutionMs: number;
  readonly windowMs: number;
}

/** History of a counter (cumulative values: a rate is the difference of two points) or a gauge. */
export interface ValueHistory extends HistoryBase {
  readonly type: 'counter' | 'gauge';
  readonly series: readonly SeriesHistory<HistoryPoint>[];
}

export interface HistogramHistory extends HistoryBase {
  readonly type: 'histogram';
  readonly series: readonly SeriesHistory<HistogramHistoryPoint>[];
}

/** What `registry.history(...)` returns. */
export type MetricHistory = ValueHistory | HistogramHistory;

/** Writes the current values of every series of `family` into its retention rings. */
export function sampleRetention(family: SeriesFamily, now: number): void {
  const rings = family.rings;
  if (rings === undefined || !rings.advance(now)) return;
  family.forEachSlot((slot) => sampleSlot(family, rings, slot));
}

/** Writes the current value of the series at `slot` into `rings` (the family's). */
export function sampleSlot(family: SeriesFamily, rings: RetentionRings, slot: number): void {
  const store = family.store;
  if (family.config.type === 'histogram') {
    const stride = store.stride;
    let count = 0;
    for (let b = 0; b < stride; b++) count += store.values[slot * stride + b] as number;
    rings.write(slot, 0, count);
    rings.write(slot, 1, store.sums[slot] as number);
  } else {
    rings.write(slot, 0, store.values[slot] as number);
  }
}

/**
 * Reads the history of `family` (which must keep retention) for `query`, after sampling `now`.
 *
 * @throws MetricsError `HISTORY_QUERY_INVALID` for a bad window or labels, or an instrument
 * without retention.
 */
export function readHistory(family: SeriesFamily, query: HistoryQuery, now: number): MetricHistory {
  const config = family.config;
  const rings = family.rings;
  if (rings === undefined) {
    throw new MetricsError(
      'HISTORY_QUERY_INVALID',
      `${config.type} "${config.name}" keeps no history: make it with retention: true (or a list of tiers)`,
    );
  }
  const { window, filter } = checkQuery(config.name, config.labelNames, query);
  sampleRetention(family, now);
  const tier = rings.tierFor(window);
  const histogram = config.type === 'histogram';
  const series: SeriesHistory<HistoryPoint | HistogramHistoryPoint>[] = [];
  family.forEachSeries((slot, labels) => {
    for (const [name, value] of filter) if (labels[name] !== value) return;
    const points: (HistoryPoint | HistogramHistoryPoint)[] = [];
    rings.read(slot, tier, window, (timestamp, fields) => {
      points.push(
        histogram
          ? Object.freeze({ timestamp, count: fields[0] as number, sum: fields[1] as number })
          : Object.freeze({ timestamp, value: fields[0] as number }),
      );
    });
    series.push(Object.freeze({ labels, points: Object.freeze(points) }));
  });
  return Object.freeze({
    name: config.name,
    type: config.type,
    resolutionMs: (rings.tiers[tier] as { resolutionMs: number }).resolutionMs,
    windowMs: window,
    series: Object.freeze(series),
  }) as MetricHistory;
}

function checkQuery(
  name: string,
  labelNames: readonly string[],
  query: HistoryQuery,
): { window: number; filter: [string, string][] } {
  const fail = (problem: string) =>
    new MetricsError('HISTORY_QUERY_INVALID', `Invalid history query for "${name}": ${problem}`);
  if (typeof query !== 'object' || query === null)
    throw fail(`expected { window, labels? }, received ${showValue(query)}`);
  const window = query.window;
  if (typeof window !== 'number' || !(window > 0 && window < Number.POSITIVE_INFINITY)) {
    throw fail(`window: expected a positive number of milliseconds, received ${showValue(window)}`);
  }
  const filter: [string, string][] = [];
  if (query.labels !== undefined) {
    if (typeof query.labels !== 'object' || query.labels === null) {
      throw fail(`labels: expected an object of label name → value, received ${showValue(query.labels)}`);
    }
    for (const [label, value] of Object.entries(query.labels)) {
      if (!labelNames.includes(label)) {
        throw fail(
          `labels.${label}: not a label of this metric (its labels: ${labelNames.join(', ') || 'none'})`,
        );
      }
      if (typeof value !== 'string')
        throw fail(`labels.${label}: expected a string, received ${showValue(value)}`);
      filter.push([label, value]);
    }
  }
  for (const key of Object.keys(query)) {
    if (key !== 'window' && key !== 'labels') throw fail(`${key}: unknown field`);
  }
  return { window, filter };
}
