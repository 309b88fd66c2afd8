import { FINITE_VALUE, type InstrumentInfo } from './instrument';
import type { ExemplarLabels, LabelValues } from './labels';
import { DETACHED, type SeriesFamily } from './series-family';
import type { SeriesStore } from './series-store';

/** A histogram bound to one label set: `histogram.labels({...})`. */
export interface HistogramHandle {
  /**
   * Counts `value` in its bucket and adds it to the sum. A non-finite or non-number value is
   * dropped and counted, never thrown. `exemplar` becomes the bucket's latest exemplar.
   */
  observe(value: number, exemplar?: ExemplarLabels): void;
}

/** A histogram with label names `L`. */
export interface LabelledHistogram<L extends string> extends InstrumentInfo<L> {
  readonly type: 'histogram';
  /** Upper bounds of the buckets, without `+Inf`. */
  readonly buckets: readonly number[];
  observe(labels: LabelValues<L>, value: number, exemplar?: ExemplarLabels): void;
  /** The bound handle of `labels`: the same object for the same label values. */
  labels(labels: LabelValues<L>): HistogramHandle;
  /** Deletes the series of `labels`. Its handles re-create it on their next update. */
  remove(labels: LabelValues<L>): boolean;
}

/** A histogram without labels: one series, updated directly. */
export interface UnlabelledHistogram extends InstrumentInfo<never>, HistogramHandle {
  readonly type: 'histogram';
  readonly buckets: readonly number[];
}

/**
 * Observations counted in fixed buckets, with their sum and count. Made by
 * `registry.histogram(...)`: without `labelNames` it is an {@link UnlabelledHistogram}, with
 * them a {@link LabelledHistogram}.
 */
export type Histogram<L extends string = never> = [L] extends [never]
  ? UnlabelledHistogram
  : LabelledHistogram<L>;

function badValue(value: unknown): boolean {
  return typeof value !== 'number' || !(value > Number.NEGATIVE_INFINITY && value < Number.POSITIVE_INFINITY);
}

/**
 * The bounds of a histogram padded with `+Infinity` to a power of two longer than them, for
 * {@link bucketIndex}.
 */
export function paddedBounds(buckets: readonly number[]): Float64Array {
  let length = 1;
  while (length < buckets.length + 1) length *= 2;
  const padded = new Float64Array(length).fill(Number.POSITIVE_INFINITY);
  padded.set(buckets);
  return padded;
}

/**
 * The index of the bucket of finite `value`: the number of bounds below it, so the first bound
 * ≥ `value`, or the `+Inf` bucket past the last bound. A binary search without branches over
 * `padded` (from {@link paddedBounds}): four comparisons for the default buckets, each compiled
 * to a conditional move rather than a jump, so observations spread over the buckets cost no
 * branch mispredictions (case 6 of `bench/metrics-native.bench.ts` observes 16 values spread
 * over the default buckets).
 */
export function bucketIndex(padded: Float64Array, value: number): number {
  let position = 0;
  for (let step = padded.length >> 1; step > 0; step >>= 1) {
    position = (padded[position + step - 1] as number) < value ? position + step : position;
  }
  return position;
}

/** Records one observation in series `slot`. */
function record(
  family: SeriesFamily<HistogramBinding>,
  store: SeriesStore,
  padded: Float64Array,
  slot: number,
  value: number,
  exemplar: ExemplarLabels | undefined,
): void {
  const cell = slot * store.stride + bucketIndex(padded, value);
  store.values[cell] = (store.values[cell] as number) + 1;
  store.sums[slot] = (store.sums[slot] as number) + value;
  store.touched[slot] = 1;
  if (exemplar !== undefined) family.exemplar(cell, exemplar, value);
}

class HistogramBinding implements HistogramHandle {
  readonly #family: SeriesFamily<HistogramBinding>;
  readonly #store: SeriesStore;
  readonly #bounds: Float64Array;
  readonly #values: readonly string[] | undefined;
  #slot: number;
  #generation: number;

  constructor(
    family: SeriesFamily<HistogramBinding>,
    bounds: Float64Array,
    slot: number,
    generation: number,
    values: readonly string[] | undefined,
  ) {
    this.#family = family;
    this.#store = family.store;
    this.#bounds = bounds;
    this.#slot = slot;
    this.#generation = generation;
    this.#values = values;
  }

  observe(value: number, exemplar?: ExemplarLabels): void {
    if (badValue(value)) {
      this.#family.dropValue(value, FINITE_VALUE);
      return;
    }
    let slot = this.#slot;
    if (this.#store.gens[slot] !== this.#generation) {
      slot = this.#rebind();
      if (slot < 0) return;
    }
    record(this.#family, this.#store, this.#bounds, slot, value, exemplar);
  }

  #rebind(): number {
    const family = this.#family;
    if (this.#values === undefined) {
      family.dropBoundUpdate();
      return -1;
    }
    const slot = family.acquire(this.#values, true);
    this.#slot = slot;
    if (slot === family.overflowSlot) {
      this.#generation = DETACHED;
    } else {
      this.#generation = this.#store.gens[slot] as number;
      family.adopt(slot, this);
    }
    return slot;
  }
}

class Info {
  readonly type = 'histogram' as const;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];

  constructor(family: SeriesFamily<HistogramBinding>) {
    this.name = family.config.name;
    this.help = family.config.help;
    this.unit = family.config.unit;
    this.labelNames = family.config.labelNames;
    this.buckets = family.config.buckets;
  }
}

/** The per-call update is a closure made for each instrument: see `LabelledCounterImpl` for why. */
class LabelledHistogramImpl extends Info implements LabelledHistogram<string> {
  readonly observe: (labels: LabelValues<string>, value: number, exemplar?: ExemplarLabels) => void;
  readonly #family: SeriesFamily<HistogramBinding>;
  readonly #bounds: Float64Array;
  readonly #make = (slot: number, generation: number, values: readonly string[] | undefined) =>
    new HistogramBinding(this.#family, this.#bounds, slot, generation, values);

  constructor(family: SeriesFamily<HistogramBinding>) {
    super(family);
    this.#family = family;
    const bounds = paddedBounds(family.config.buckets);
    this.#bounds = bounds;
    const lookup = family.lookup;
    const store = family.store;
    this.observe = (labels, value, exemplar) => {
      if (badValue(value)) {
        family.dropValue(value, FINITE_VALUE);
        return;
      }
      let slot = lookup(labels);
      if (slot < 0) {
        slot = family.insert(labels, true);
        if (slot < 0) return;
      }
      record(family, store, bounds, slot, value, exemplar);
    };
  }

  labels(labels: LabelValues<string>): HistogramHandle {
    return this.#family.handle(labels, this.#make);
  }

  remove(labels: LabelValues<string>): boolean {
    return this.#family.remove(labels);
  }
}

class UnlabelledHistogramImpl extends Info implements UnlabelledHistogram {
  declare readonly labelNames: readonly never[];
  readonly #family: SeriesFamily<HistogramBinding>;
  readonly #store: SeriesStore;
  readonly #bounds: Float64Array;

  constructor(family: SeriesFamily<HistogramBinding>) {
    super(family);
    this.#family = family;
    this.#store = family.store;
    this.#bounds = paddedBounds(family.config.buckets);
  }

  observe(value: number, exemplar?: ExemplarLabels): void {
    if (badValue(value)) {
      this.#family.dropValue(value, FINITE_VALUE);
      return;
    }
    record(this.#family, this.#store, this.#bounds, 0, value, exemplar);
  }
}

/** Makes the histogram of `family`: unlabelled when it has no label names. */
export function createHistogram<L extends string>(family: SeriesFamily<HistogramBinding>): Histogram<L> {
  const histogram =
    family.labelCount === 0 ? new UnlabelledHistogramImpl(family) : new LabelledHistogramImpl(family);
  return histogram as unknown as Histogram<L>;
}

/** The family type a histogram is made from. */
export type HistogramFamily = SeriesFamily<HistogramBinding>;
