import type { SeriesFamily } from './series-family';
import type { SeriesStore } from './series-store';
import type {
  BucketSnapshot,
  CounterSeriesSnapshot,
  ExemplarSnapshot,
  FamilySnapshotBase,
  GaugeSeriesSnapshot,
  HistogramSeriesSnapshot,
  MetricFamilySnapshot,
} from './snapshot';

/**
 * Copies one family into frozen snapshot objects. Nothing of the snapshot is kept by the
 * family, so taking one does not grow the store.
 */
export function familySnapshot(family: SeriesFamily): MetricFamilySnapshot {
  const config = family.config;
  const store = family.store;
  const counts = family.counts;
  const base: FamilySnapshotBase = {
    name: config.name,
    help: config.help,
    unit: config.unit,
    labelNames: config.labelNames,
    seriesLimit: config.seriesLimit,
    foldedUpdates: counts.foldedUpdates,
    evictedSeries: counts.evictedSeries,
    dropped: Object.freeze({
      invalidValue: counts.invalidValue,
      invalidLabels: counts.invalidLabels,
      invalidExemplar: counts.invalidExemplar,
    }),
    collectErrors: counts.collectErrors,
  };
  switch (config.type) {
    case 'counter': {
      const series: CounterSeriesSnapshot[] = [];
      family.forEachSeries((slot, labels, overflow) => {
        series.push(
          Object.freeze({
            labels,
            created: store.created[slot] as number,
            overflow,
            value: store.values[slot] as number,
            exemplar: exemplarAt(store, slot),
          }),
        );
      });
      return Object.freeze({ ...base, type: 'counter', series: Object.freeze(series) });
    }
    case 'gauge': {
      const series: GaugeSeriesSnapshot[] = [];
      family.forEachSeries((slot, labels, overflow) => {
        series.push(
          Object.freeze({
            labels,
            created: store.created[slot] as number,
            overflow,
            value: store.values[slot] as number,
          }),
        );
      });
      return Object.freeze({ ...base, type: 'gauge', series: Object.freeze(series) });
    }
    case 'histogram': {
      const series: HistogramSeriesSnapshot[] = [];
      const bounds = config.buckets;
      family.forEachSeries((slot, labels, overflow) => {
        const buckets: BucketSnapshot[] = [];
        let cumulative = 0;
        for (let b = 0; b <= bounds.length; b++) {
          const cell = slot * store.stride + b;
          cumulative += store.values[cell] as number;
          buckets.push(
            Object.freeze({
              le: b < bounds.length ? (bounds[b] as number) : Number.POSITIVE_INFINITY,
              count: cumulative,
              exemplar: exemplarAt(store, cell),
            }),
          );
        }
        series.push(
          Object.freeze({
            labels,
            created: store.created[slot] as number,
            overflow,
            buckets: Object.freeze(buckets),
            count: cumulative,
            sum: store.sums[slot] as number,
          }),
        );
      });
      return Object.freeze({
        ...base,
        type: 'histogram',
        buckets: config.buckets,
        series: Object.freeze(series),
      });
    }
  }
}

function exemplarAt(store: SeriesStore, cell: number): ExemplarSnapshot | undefined {
  const labels = store.exemplarLabels?.[cell];
  if (labels === undefined) return undefined;
  return Object.freeze({
    // A copy: the caller's object may change after the update that carried it.
    labels: Object.freeze({ ...labels }),
    value: store.exemplarValues[cell] as number,
    timestamp: store.exemplarTimes[cell] as number,
  });
}
