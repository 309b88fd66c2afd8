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

/** One histogram bucket, cumulative as in the exposition formats. */
export interface BucketSnapshot {
  /** Upper bound; `Infinity` for the last bucket. */
  readonly le: number;
  /** Observations ≤ `le`. */
  readonly count: number;
  /** The latest exemplar of an observation that fell in this bucket (not cumulative). */
  readonly exemplar: ExemplarSnapshot | undefined;
}

export interface HistogramSeriesSnapshot extends SeriesSnapshotBase {
  readonly buckets: readonly BucketSnapshot[];
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
  /** Upper bounds without `+Inf`. */
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
