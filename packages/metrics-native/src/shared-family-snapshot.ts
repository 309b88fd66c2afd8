import type { SharedFamily } from './shared-family';
import { SharedFloatCells } from './shared-float-cells';
import { FOLDED, INVALID_EXEMPLAR, INVALID_LABELS, INVALID_VALUE } from './shared-layout';
import type {
  CounterSeriesSnapshot,
  FamilySnapshotBase,
  GaugeSeriesSnapshot,
  HistogramSeriesSnapshot,
  MetricFamilySnapshot,
} from './snapshot';

/**
 * Copies one shared family into frozen snapshot objects, in the same shape as an unshared
 * family's: counter and histogram values are the sums of every thread's lane, gauge values the
 * shared cell. Series are never reused, so each has generation 0.
 *
 * Values read while other threads update are each a whole float (V8 reads and writes a Float64
 * element with one aligned 8-byte access on 64-bit platforms), but a histogram's count and sum
 * may be read between the two writes of one observation.
 */
export function sharedFamilySnapshot(family: SharedFamily): MetricFamilySnapshot {
  const config = family.config;
  const created = family.region.created;
  const base: FamilySnapshotBase = {
    name: config.name,
    help: config.help,
    unit: config.unit,
    labelNames: config.labelNames,
    seriesLimit: config.seriesLimit,
    foldedUpdates: family.count(FOLDED),
    evictedSeries: 0,
    dropped: Object.freeze({
      invalidValue: family.count(INVALID_VALUE),
      invalidLabels: family.count(INVALID_LABELS),
      invalidExemplar: family.count(INVALID_EXEMPLAR),
    }),
    collectErrors: 0,
  };
  switch (config.type) {
    case 'counter': {
      const series: CounterSeriesSnapshot[] = [];
      family.forEachSeries((slot, labels, overflow) => {
        series.push(
          Object.freeze({
            labels,
            slot,
            generation: 0,
            created: created[slot] as number,
            overflow,
            value: family.laneTotal(slot),
            exemplar: undefined,
          }),
        );
      });
      return Object.freeze({ ...base, type: 'counter', series: Object.freeze(series) });
    }
    case 'gauge': {
      const series: GaugeSeriesSnapshot[] = [];
      // The region's cells, not `family.cells`, which is private once this thread has closed.
      const cells = new SharedFloatCells(family.region.cellBits);
      family.forEachSeries((slot, labels, overflow) => {
        series.push(
          Object.freeze({
            labels,
            slot,
            generation: 0,
            created: created[slot] as number,
            overflow,
            value: cells.get(slot),
          }),
        );
      });
      return Object.freeze({ ...base, type: 'gauge', series: Object.freeze(series) });
    }
    case 'histogram': {
      const series: HistogramSeriesSnapshot[] = [];
      const cells = config.buckets.length + 1;
      family.forEachSeries((slot, labels, overflow) => {
        const counts = new Array<number>(cells);
        let cumulative = 0;
        for (let b = 0; b < cells; b++) {
          cumulative += family.laneTotal(slot * cells + b);
          counts[b] = cumulative;
        }
        series.push(
          Object.freeze({
            labels,
            slot,
            generation: 0,
            created: created[slot] as number,
            overflow,
            counts: Object.freeze(counts),
            exemplars: undefined,
            count: cumulative,
            sum: family.sumTotal(slot),
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
