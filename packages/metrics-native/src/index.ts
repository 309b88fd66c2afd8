/**
 * `@tasker/metrics-native`: counters, gauges and histograms held in process, with bound
 * handles, label lookups that build no strings, bounded memory (series limits with an overflow
 * series, idle eviction, fixed-size retention rings) and immutable snapshots for exporters.
 */

export { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from './buckets';
export type { ClusterAggregator, ClusterAggregatorOptions, ClusterProcess } from './cluster-aggregator';
export { createClusterAggregator } from './cluster-aggregator';
export type { GaugeMergeMode } from './cluster-family';
export type { Counter, CounterHandle, LabelledCounter, UnlabelledCounter } from './counter';
export type { MetricsErrorCode } from './errors';
export { isMetricsError, MetricsError } from './errors';
export type { Gauge, GaugeHandle, LabelledGauge, UnlabelledGauge } from './gauge';
export type { Histogram, HistogramHandle, LabelledHistogram, UnlabelledHistogram } from './histogram';
export type {
  HistogramHistory,
  HistogramHistoryPoint,
  HistoryPoint,
  HistoryQuery,
  MetricHistory,
  SeriesHistory,
  ValueHistory,
} from './history';
export type { InstrumentInfo } from './instrument';
export type {
  CounterOptions,
  GaugeOptions,
  HistogramOptions,
  InstrumentOptions,
} from './instrument-options';
export type { ExemplarLabels, LabelValues } from './labels';
export { MAX_EXEMPLAR_CHARS } from './labels';
export type { MetricType } from './metric-name';
export { OVERFLOW_LABEL } from './metric-name';
export type { ProcessMetrics, ProcessMetricsOptions } from './process-metrics';
export { DEFAULT_GC_BUCKETS, startProcessMetrics } from './process-metrics';
export type { Registry } from './registry';
export { createRegistry } from './registry';
export type { RegistryOptions } from './registry-options';
export { DEFAULT_SERIES_LIMIT } from './registry-options';
export type { RetentionTier } from './retention-policy';
export { DEFAULT_RETENTION, MAX_RETENTION_POINTS } from './retention-policy';
export { SELF_METRIC_NAMES } from './self-metrics';
export { serveClusterMetrics } from './serve-cluster-metrics';
export type { SharedRegistry } from './shared-registry';
export { attachSharedRegistry, createSharedRegistry } from './shared-registry';
export type {
  AttachSharedRegistryOptions,
  SharedInstrumentDeclaration,
  SharedRegistryHandle,
  SharedRegistryOptions,
} from './shared-registry-options';
export { DEFAULT_LABEL_CHARS_PER_SERIES, DEFAULT_MAX_THREADS } from './shared-registry-options';
export type { CollectInSlicesOptions, CollectOptions } from './slice-options';
export type {
  CounterFamilySnapshot,
  CounterSeriesSnapshot,
  DropCounts,
  ExemplarSnapshot,
  FamilySnapshotBase,
  GaugeFamilySnapshot,
  GaugeSeriesSnapshot,
  HistogramFamilySnapshot,
  HistogramSeriesSnapshot,
  MetricFamilySnapshot,
  MetricsSnapshot,
  SeriesSnapshotBase,
} from './snapshot';
