import type { SeriesFamily } from './series-family';
import type { CounterFamilySnapshot, CounterSeriesSnapshot } from './snapshot';

/**
 * The registry's own telemetry, exported like any metric so that an alert can fire on it: what
 * the series limit folded, what idle eviction removed, and what the hot path dropped, per
 * instrument. The counts are the ones every family snapshot carries (`foldedUpdates`,
 * `evictedSeries`, `dropped`); at the end of each collect, once every family has been swept,
 * they are appended to the snapshot as three counter families:
 *
 * | family                                   | labels             | from                    |
 * | ---------------------------------------- | ------------------ | ----------------------- |
 * | `tasker_metrics_series_folded_total`     | `metric`           | `foldedUpdates`         |
 * | `tasker_metrics_series_evicted_total`    | `metric`           | `evictedSeries`         |
 * | `tasker_metrics_updates_dropped_total`   | `metric`, `reason` | `dropped.*`             |
 *
 * `metric` names the instrument. `reason` is `invalid_value`, `invalid_labels` or
 * `invalid_exemplar`. Folded and evicted exist for labelled instruments only (an unlabelled one
 * has one series, which neither folds nor idles out). Every series is exported from zero, so
 * `increase()` sees the first event.
 *
 * These families are made at collect time, not kept as instruments: nothing is updated on the
 * hot path. A series' `slot` is the instrument's registration number (times three, plus the
 * reason, for drops), never reused within a registry, so exporters that cache per slot and
 * generation never mistake one instrument's series for another's.
 */

/** The names of the self-metric families, reserved in a registry that exports them. */
export const SELF_METRIC_NAMES = [
  'tasker_metrics_series_folded_total',
  'tasker_metrics_series_evicted_total',
  'tasker_metrics_updates_dropped_total',
] as const;

const DROP_REASONS = ['invalid_value', 'invalid_labels', 'invalid_exemplar'] as const;

/** An instrument as the self-metrics see it. */
export interface SelfMetricsSource {
  readonly family: SeriesFamily;
  /** Registration number: 0 for the first instrument of the registry, never reused. */
  readonly id: number;
  /** When the instrument was registered, epoch ms. */
  readonly created: number;
}

function counterFamily(
  name: string,
  help: string,
  labelNames: readonly string[],
  series: CounterSeriesSnapshot[],
): CounterFamilySnapshot {
  return Object.freeze({
    name,
    help,
    unit: undefined,
    labelNames: Object.freeze([...labelNames]),
    seriesLimit: series.length,
    foldedUpdates: 0,
    evictedSeries: 0,
    dropped: Object.freeze({ invalidValue: 0, invalidLabels: 0, invalidExemplar: 0 }),
    collectErrors: 0,
    type: 'counter',
    series: Object.freeze(series),
  });
}

function counterSeries(
  labels: Record<string, string>,
  slot: number,
  created: number,
  value: number,
): CounterSeriesSnapshot {
  return Object.freeze({
    labels: Object.freeze(labels),
    slot,
    generation: 0,
    created,
    overflow: false,
    value,
    exemplar: undefined,
  });
}

/** The three self-metric families for `sources`, from their counts now. */
export function selfMetricFamilies(sources: readonly SelfMetricsSource[]): CounterFamilySnapshot[] {
  const folded: CounterSeriesSnapshot[] = [];
  const evicted: CounterSeriesSnapshot[] = [];
  const dropped: CounterSeriesSnapshot[] = [];
  for (const { family, id, created } of sources) {
    const metric = family.config.name;
    const counts = family.counts;
    if (family.labelCount > 0) {
      folded.push(counterSeries({ metric }, id, created, counts.foldedUpdates));
      evicted.push(counterSeries({ metric }, id, created, counts.evictedSeries));
    }
    const drops = [counts.invalidValue, counts.invalidLabels, counts.invalidExemplar];
    for (let r = 0; r < DROP_REASONS.length; r++) {
      const reason = DROP_REASONS[r] as string;
      dropped.push(counterSeries({ metric, reason }, id * 3 + r, created, drops[r] as number));
    }
  }
  return [
    counterFamily(
      SELF_METRIC_NAMES[0],
      'Updates of new label sets folded into the overflow series past the series limit, per instrument.',
      ['metric'],
      folded,
    ),
    counterFamily(
      SELF_METRIC_NAMES[1],
      'Series evicted after idling past the idle TTL, per instrument.',
      ['metric'],
      evicted,
    ),
    counterFamily(
      SELF_METRIC_NAMES[2],
      'Updates dropped for a bad value, bad labels or a bad exemplar, per instrument.',
      ['metric', 'reason'],
      dropped,
    ),
  ];
}
