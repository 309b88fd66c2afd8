import type { SeriesFamily } from './series-family';
import type { SeriesStore } from './series-store';
import type {
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
            slot,
            generation: store.gens[slot] as number,
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
            slot,
            generation: store.gens[slot] as number,
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
        const cells = bounds.length + 1;
        const counts = new Array<number>(cells);
        let exemplars: (ExemplarSnapshot | undefined)[] | undefined;
        let cumulative = 0;
        for (let b = 0; b < cells; b++) {
          const cell = slot * store.stride + b;
          cumulative += store.values[cell] as number;
          counts[b] = cumulative;
          const exemplar = exemplarAt(store, cell);
          if (exemplar !== undefined) {
            exemplars ??= new Array<ExemplarSnapshot | undefined>(cells).fill(undefined);
            exemplars[b] = exemplar;
          }
        }
        series.push(
          Object.freeze({
            labels,
            slot,
            generation: store.gens[slot] as number,
            created: store.created[slot] as number,
            overflow,
            counts: Object.freeze(counts),
            exemplars: exemplars === undefined ? undefined : Object.freeze(exemplars),
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
