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

/** A series snapshot of any type; the family's type decides which. */
export type AnySeriesSnapshot = CounterSeriesSnapshot | GaugeSeriesSnapshot | HistogramSeriesSnapshot;

/**
 * Copies one series of `family` into a frozen snapshot object, reading all its cells at once
 * (a histogram's buckets, count and sum agree). Nothing of the snapshot is kept by the family,
 * so taking one does not grow the store.
 */
export function seriesSnapshot(
  family: SeriesFamily,
  slot: number,
  labels: Readonly<Record<string, string>>,
  overflow: boolean,
): AnySeriesSnapshot {
  const store = family.store;
  const generation = store.gens[slot] as number;
  const created = store.created[slot] as number;
  switch (family.config.type) {
    case 'counter':
      return Object.freeze({
        labels,
        slot,
        generation,
        created,
        overflow,
        value: store.values[slot] as number,
        exemplar: exemplarAt(store, slot),
      });
    case 'gauge':
      return Object.freeze({
        labels,
        slot,
        generation,
        created,
        overflow,
        value: store.values[slot] as number,
      });
    case 'histogram': {
      const cells = store.stride;
      const counts = new Array<number>(cells);
      let exemplars: (ExemplarSnapshot | undefined)[] | undefined;
      let cumulative = 0;
      for (let b = 0; b < cells; b++) {
        const cell = slot * cells + b;
        cumulative += store.values[cell] as number;
        counts[b] = cumulative;
        const exemplar = exemplarAt(store, cell);
        if (exemplar !== undefined) {
          exemplars ??= new Array<ExemplarSnapshot | undefined>(cells).fill(undefined);
          exemplars[b] = exemplar;
        }
      }
      return Object.freeze({
        labels,
        slot,
        generation,
        created,
        overflow,
        counts: Object.freeze(counts),
        exemplars: exemplars === undefined ? undefined : Object.freeze(exemplars),
        count: cumulative,
        sum: store.sums[slot] as number,
      });
    }
  }
}

/** The frozen snapshot of `family` with `series` (taken by {@link seriesSnapshot}), and its counts now. */
export function familySnapshot(family: SeriesFamily, series: AnySeriesSnapshot[]): MetricFamilySnapshot {
  const config = family.config;
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
  const frozen = Object.freeze(series);
  if (config.type === 'histogram') {
    return Object.freeze({
      ...base,
      type: 'histogram',
      buckets: config.buckets,
      series: frozen as readonly HistogramSeriesSnapshot[],
    });
  }
  if (config.type === 'counter') {
    return Object.freeze({ ...base, type: 'counter', series: frozen as readonly CounterSeriesSnapshot[] });
  }
  return Object.freeze({ ...base, type: 'gauge', series: frozen as readonly GaugeSeriesSnapshot[] });
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
