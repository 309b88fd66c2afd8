/**
 * What changed between two `collect()` snapshots of a metrics-native registry, for the Tasker
 * lifecycle metrics the native metrics backend of `@tasker/adapters/native` writes. The history
 * keeps increments, not totals, so that rates and percentiles over any interval are sums.
 *
 * Increments are taken per series (a series is its slot and generation, as the snapshot
 * documents), then summed: a series evicted as idle, or removed, leaves the sum without making
 * it go back, and a series created since the last snapshot counts from zero. The previous values
 * are kept per series, so this memory is bounded by the registry's series limits.
 */

/** The lifecycle metrics the trends read (names of `@tasker/adapters/native`'s `METRIC_NAMES`). */
export const TREND_METRICS = Object.freeze({
  tasks: 'tasker_tasks_total',
  steps: 'tasker_steps_total',
  retries: 'tasker_step_retries_total',
  inProgress: 'tasker_steps_in_progress',
  stepDuration: 'tasker_step_duration_seconds',
});

/** The part of a metrics-native snapshot series that is read here. */
export interface SeriesShape {
  readonly labels: Readonly<Record<string, string>>;
  readonly slot: number;
  readonly generation: number;
  readonly value?: number;
  readonly counts?: readonly number[];
  readonly sum?: number;
}

/** The part of a metrics-native family snapshot that is read here. */
export interface FamilyShape {
  readonly name: string;
  readonly type: string;
  readonly buckets?: readonly number[];
  readonly series: readonly SeriesShape[];
}

/** The part of `registry.collect()`'s result that is read here. */
export interface SnapshotShape {
  readonly families: readonly FamilyShape[];
}

/** Field positions of one sample (and of a point of the rings). */
export const FIELD = Object.freeze({
  /** Milliseconds of time the samples of the point cover (their distance to the sample before). */
  covered: 0,
  tasksCompleted: 1,
  tasksFailed: 2,
  stepsCompleted: 3,
  stepsFailed: 4,
  retries: 5,
  /** The steps in progress at the last sample (a level, not an increment). */
  inProgress: 6,
  durationSum: 7,
  /** Then one cumulative count per bucket of the step-duration histogram, `+Inf` last. */
  buckets: 8,
});

/** The increments since the last snapshot, one number per field (see {@link FIELD}). */
export class SnapshotDeltas {
  /** The step-duration histogram's upper bounds (seconds), without `+Inf`. */
  readonly bounds: readonly number[];
  #previous = new Map<string, readonly number[]>();
  #started = false;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
  }

  /** Fields per sample. */
  get width(): number {
    return FIELD.buckets + this.bounds.length + 1;
  }

  /** The step-duration buckets of `snapshot` (empty when the histogram is not there). */
  static boundsOf(snapshot: SnapshotShape): readonly number[] {
    return snapshot.families.find((f) => f.name === TREND_METRICS.stepDuration)?.buckets ?? [];
  }

  /** The lifecycle metrics `snapshot` has (the page says when some are missing). */
  static foundIn(snapshot: SnapshotShape): string[] {
    const names = new Set(snapshot.families.map((f) => f.name));
    return Object.values(TREND_METRICS).filter((n) => names.has(n));
  }

  /**
   * Writes into `out` what changed since the snapshot before (on the first, every increment is
   * zero: what was counted before the history started is not charted), and remembers `snapshot`.
   */
  take(snapshot: SnapshotShape, coveredMs: number, out: Float64Array): void {
    out.fill(0);
    out[FIELD.covered] = coveredMs;
    const first = !this.#started;
    this.#started = true;
    const next = new Map<string, readonly number[]>();
    for (const family of snapshot.families) {
      const read = READERS[family.name];
      if (read === undefined) continue;
      for (const series of family.series) {
        const now = read(series);
        const key = `${family.name}\u0000${series.slot}:${series.generation}`;
        next.set(key, now);
        if (family.name === TREND_METRICS.inProgress) {
          out[FIELD.inProgress] = (out[FIELD.inProgress] as number) + (now[0] as number);
          continue;
        }
        if (first) continue;
        const before = this.#previous.get(key);
        const slot = slotOf(family.name, series);
        if (family.name === TREND_METRICS.stepDuration) {
          if (now.length !== this.width - FIELD.buckets + 1) continue;
          for (let i = 0; i < now.length; i++) {
            const field = i === 0 ? FIELD.durationSum : FIELD.buckets + i - 1;
            out[field] = (out[field] as number) + increment(now[i] as number, before?.[i]);
          }
        } else if (slot !== undefined) {
          out[slot] = (out[slot] as number) + increment(now[0] as number, before?.[0]);
        }
      }
    }
    this.#previous = next;
  }
}

/** A counter's increase; a value that went down (it should not) counts as nothing. */
function increment(now: number, before: number | undefined): number {
  return Math.max(now - (before ?? 0), 0);
}

/** The field a counter series adds to (undefined: an outcome the trends do not chart). */
function slotOf(name: string, series: SeriesShape): number | undefined {
  const outcome = series.labels.outcome;
  if (name === TREND_METRICS.retries) return FIELD.retries;
  if (name === TREND_METRICS.tasks) {
    if (outcome === 'completed') return FIELD.tasksCompleted;
    if (outcome === 'failed') return FIELD.tasksFailed;
  }
  if (name === TREND_METRICS.steps) {
    if (outcome === 'completed') return FIELD.stepsCompleted;
    if (outcome === 'failed') return FIELD.stepsFailed;
  }
  return undefined;
}

const value = (s: SeriesShape) => [s.value ?? 0];
/** What is remembered of a series: its value, or a histogram's sum then cumulative counts. */
const READERS: Readonly<Record<string, (s: SeriesShape) => readonly number[]>> = Object.freeze({
  [TREND_METRICS.tasks]: value,
  [TREND_METRICS.steps]: value,
  [TREND_METRICS.retries]: value,
  [TREND_METRICS.inProgress]: value,
  [TREND_METRICS.stepDuration]: (s: SeriesShape) => [s.sum ?? 0, ...(s.counts ?? [])],
});
