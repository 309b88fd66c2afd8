import type { Histogram, HistogramHandle, LabelledHistogram, UnlabelledHistogram } from './histogram';
import { bucketIndex, paddedBounds } from './histogram';
import { FINITE_VALUE } from './instrument';
import type { ExemplarLabels, LabelValues } from './labels';
import type { SharedFamily } from './shared-family';

/**
 * A histogram of a shared registry. Like a shared counter, each thread counts into its own lane
 * (bucket cells and a sum per series); the scrape adds the lanes, so bucket counts, count and
 * sum are exact once the threads are done.
 */
function badValue(value: unknown): boolean {
  return typeof value !== 'number' || !(value > Number.NEGATIVE_INFINITY && value < Number.POSITIVE_INFINITY);
}

function record(family: SharedFamily, padded: Float64Array, slot: number, value: number): void {
  const values = family.values;
  const cell = slot * family.region.stride + bucketIndex(padded, value);
  values[cell] = (values[cell] as number) + 1;
  const sums = family.sums;
  sums[slot] = (sums[slot] as number) + value;
}

class SharedHistogramBinding implements HistogramHandle {
  readonly #family: SharedFamily<SharedHistogramBinding>;
  readonly #bounds: Float64Array;
  readonly #slot: number;
  readonly #overflow: boolean;
  /** The labels the handle was made from when they are bad (null for undefined), else undefined. */
  readonly #badLabels: unknown;

  constructor(
    family: SharedFamily<SharedHistogramBinding>,
    bounds: Float64Array,
    slot: number,
    overflow: boolean,
    badLabels: unknown,
  ) {
    this.#family = family;
    this.#bounds = bounds;
    this.#slot = slot;
    this.#overflow = overflow;
    this.#badLabels = badLabels;
  }

  observe(value: number, exemplar?: ExemplarLabels): void {
    const family = this.#family;
    if (badValue(value)) {
      family.dropValue(value, FINITE_VALUE);
      return;
    }
    if (this.#badLabels !== undefined) {
      family.dropLabels(this.#badLabels);
      return;
    }
    if (this.#overflow) family.countFold();
    record(family, this.#bounds, this.#slot, value);
    if (exemplar !== undefined) family.dropExemplar();
  }
}

class Info {
  readonly type = 'histogram' as const;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];

  constructor(family: SharedFamily) {
    this.name = family.config.name;
    this.help = family.config.help;
    this.unit = family.config.unit;
    this.labelNames = family.config.labelNames;
    this.buckets = family.config.buckets;
  }
}

class SharedLabelledHistogram extends Info implements LabelledHistogram<string> {
  readonly observe: (labels: LabelValues<string>, value: number, exemplar?: ExemplarLabels) => void;
  readonly #family: SharedFamily<SharedHistogramBinding>;
  readonly #bounds: Float64Array;

  constructor(family: SharedFamily<SharedHistogramBinding>) {
    super(family);
    this.#family = family;
    const bounds = paddedBounds(family.config.buckets);
    this.#bounds = bounds;
    const lookup = family.lookup;
    this.observe = (labels, value, exemplar) => {
      if (badValue(value)) {
        family.dropValue(value, FINITE_VALUE);
        return;
      }
      let slot = lookup(labels);
      if (slot < 0) {
        slot = family.insert(labels);
        if (slot < 0) return;
      }
      record(family, bounds, slot, value);
      if (exemplar !== undefined) family.dropExemplar();
    };
  }

  labels(labels: LabelValues<string>): HistogramHandle {
    const family = this.#family;
    const bounds = this.#bounds;
    return family.handle(
      labels,
      (slot, overflow, valid) =>
        new SharedHistogramBinding(family, bounds, slot, overflow, valid ? undefined : (labels ?? null)),
    );
  }

  /** A shared series is never removed (another thread may hold its slot): always false. */
  remove(_labels: LabelValues<string>): boolean {
    return false;
  }
}

class SharedUnlabelledHistogram extends Info implements UnlabelledHistogram {
  declare readonly labelNames: readonly never[];
  readonly #family: SharedFamily;
  readonly #bounds: Float64Array;

  constructor(family: SharedFamily) {
    super(family);
    this.#family = family;
    this.#bounds = paddedBounds(family.config.buckets);
  }

  observe(value: number, exemplar?: ExemplarLabels): void {
    if (badValue(value)) {
      this.#family.dropValue(value, FINITE_VALUE);
      return;
    }
    record(this.#family, this.#bounds, 0, value);
    if (exemplar !== undefined) this.#family.dropExemplar();
  }
}

/** Makes the histogram of shared `family`: unlabelled when it has no label names. */
export function createSharedHistogram<L extends string>(family: SharedFamily): Histogram<L> {
  const histogram =
    family.labelCount === 0
      ? new SharedUnlabelledHistogram(family)
      : new SharedLabelledHistogram(family as SharedFamily<SharedHistogramBinding>);
  return histogram as unknown as Histogram<L>;
}
