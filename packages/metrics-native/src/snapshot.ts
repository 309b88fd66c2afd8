/**
 * What `registry.collect()` returns: plain, frozen data that exporters and adapters read. The
 * registry never formats text; `@tasker/exporter-prometheus` turns snapshots into the
 * Prometheus and OpenMetrics formats.
 *
 * Times are epoch milliseconds from the registry's clock.
 */

/** The latest exemplar of a counter series or a histogram bucket. */
export interface ExemplarSnapshot {
  readonly labels: Readonly<Record<string, string>>;
  /** The value of the update that carried the exemplar. */
  readonly value: number;
  readonly timestamp: number;
}

/** What every series carries. */
export interface SeriesSnapshotBase {
  /** Label name → value. The overflow series has the single label `tasker_overflow="true"`. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Where the series lives in its instrument's store. With `generation`, it identifies the
   * series for as long as it lives: a slot freed by eviction or `remove()` and reused for
   * another series has a new generation. Exporters key per-series caches by the pair.
   */
  readonly slot: number;
  readonly generation: number;
  /** When the series was created (or re-created after an eviction). */
  readonly created: number;
  /** True for the series that holds label sets folded past the series limit. */
  readonly overflow: boolean;
}

export interface CounterSeriesSnapshot extends SeriesSnapshotBase {
  readonly value: number;
  readonly exemplar: ExemplarSnapshot | undefined;
}

export interface GaugeSeriesSnapshot extends SeriesSnapshotBase {
  readonly value: number;
}

/**
 * A histogram series. Buckets are parallel arrays rather than one object per bucket: a scrape
 * of thousands of series then allocates one array per series, not one object per bucket.
 */
export interface HistogramSeriesSnapshot extends SeriesSnapshotBase {
  /**
   * Cumulative counts, as in the exposition formats: `counts[i]` observations were ≤ the
   * family's `buckets[i]`; the last entry is the `+Inf` bucket and equals `count`.
   */
  readonly counts: readonly number[];
  /**
   * The latest exemplar of an observation that fell in each bucket (not cumulative), aligned
   * with `counts`; `undefined` when no bucket of the series has one.
   */
  readonly exemplars: readonly (ExemplarSnapshot | undefined)[] | undefined;
  readonly count: number;
  readonly sum: number;
}

/** Updates refused since the instrument was made. */
export interface DropCounts {
  /** Negative counter increments, NaN, ±Infinity, non-numbers. */
  readonly invalidValue: number;
  /** Missing labels, non-string label values, handles made from such labels. */
  readonly invalidLabels: number;
  /** Exemplars with bad labels or more than 128 characters (their update was kept). */
  readonly invalidExemplar: number;
}

/** What every family carries. */
export interface FamilySnapshotBase {
  /** The metric name as registered; a counter's ends in `_total`. */
  readonly name: string;
  readonly help: string;
  /** The unit, a suffix of the name (without `_total`), or undefined. */
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  readonly seriesLimit: number;
  /** Updates folded into the overflow series since the instrument was made. */
  readonly foldedUpdates: number;
  /** Series evicted as idle since the instrument was made. */
  readonly evictedSeries: number;
  readonly dropped: DropCounts;
  /** Throws from a gauge's collect callback since the instrument was made. */
  readonly collectErrors: number;
}

export interface CounterFamilySnapshot extends FamilySnapshotBase {
  readonly type: 'counter';
  readonly series: readonly CounterSeriesSnapshot[];
}

export interface GaugeFamilySnapshot extends FamilySnapshotBase {
  readonly type: 'gauge';
  readonly series: readonly GaugeSeriesSnapshot[];
}

export interface HistogramFamilySnapshot extends FamilySnapshotBase {
  readonly type: 'histogram';
  /** Upper bounds without `+Inf`; each series' `counts` has one more entry, for `+Inf`. */
  readonly buckets: readonly number[];
  readonly series: readonly HistogramSeriesSnapshot[];
}

/** One instrument's data. */
export type MetricFamilySnapshot = CounterFamilySnapshot | GaugeFamilySnapshot | HistogramFamilySnapshot;

/** Every instrument of a registry at one moment. */
export interface MetricsSnapshot {
  /** When the snapshot was taken. */
  readonly timestamp: number;
  /** In registration order. */
  readonly families: readonly MetricFamilySnapshot[];
}
