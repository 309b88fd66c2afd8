import type { Counter, CounterHandle, LabelledCounter, UnlabelledCounter } from './counter';
import { COUNTER_VALUE } from './instrument';
import type { ExemplarLabels, LabelValues } from './labels';
import type { SharedFamily } from './shared-family';

/**
 * A counter of a shared registry: the same interface as an unshared one. Each thread adds into
 * its own lane (see `SharedFamily`), so an increment is one plain Float64 add, exact however
 * many threads count the same series; the scrape sums the lanes.
 */
class SharedCounterBinding implements CounterHandle {
  readonly #family: SharedFamily<SharedCounterBinding>;
  readonly #slot: number;
  /** False for the overflow series (each update is counted as folded) and for bad labels. */
  readonly #plain: boolean;
  readonly #badLabels: unknown;

  constructor(
    family: SharedFamily<SharedCounterBinding>,
    slot: number,
    overflow: boolean,
    badLabels: unknown,
  ) {
    this.#family = family;
    this.#slot = slot;
    this.#plain = !overflow && badLabels === undefined;
    this.#badLabels = badLabels;
  }

  inc(value = 1, exemplar?: ExemplarLabels): void {
    const family = this.#family;
    if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      family.dropValue(value, COUNTER_VALUE);
      return;
    }
    if (!this.#plain) {
      if (this.#badLabels !== undefined) {
        family.dropLabels(this.#badLabels);
        return;
      }
      family.countFold();
    }
    const values = family.values;
    values[this.#slot] = (values[this.#slot] as number) + value;
    if (exemplar !== undefined) family.dropExemplar();
  }
}

class Info {
  readonly type = 'counter' as const;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];

  constructor(family: SharedFamily) {
    this.name = family.config.name;
    this.help = family.config.help;
    this.unit = family.config.unit;
    this.labelNames = family.config.labelNames;
  }
}

/** The per-call update is a closure per instrument, as in `counter.ts` (see `LabelledCounterImpl`). */
class SharedLabelledCounter extends Info implements LabelledCounter<string> {
  readonly inc: (labels: LabelValues<string>, value?: number, exemplar?: ExemplarLabels) => void;
  readonly #family: SharedFamily<SharedCounterBinding>;

  constructor(family: SharedFamily<SharedCounterBinding>) {
    super(family);
    this.#family = family;
    const lookup = family.lookup;
    this.inc = (labels, value = 1, exemplar) => {
      if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
        family.dropValue(value, COUNTER_VALUE);
        return;
      }
      let slot = lookup(labels);
      if (slot < 0) {
        slot = family.insert(labels);
        if (slot < 0) return;
      }
      const values = family.values;
      values[slot] = (values[slot] as number) + value;
      if (exemplar !== undefined) family.dropExemplar();
    };
  }

  labels(labels: LabelValues<string>): CounterHandle {
    const family = this.#family;
    // Bad labels are kept (null for undefined) so each update through the handle is counted.
    return family.handle(
      labels,
      (slot, overflow, valid) =>
        new SharedCounterBinding(family, slot, overflow, valid ? undefined : (labels ?? null)),
    );
  }

  /** A shared series is never removed (another thread may hold its slot): always false. */
  remove(_labels: LabelValues<string>): boolean {
    return false;
  }
}

class SharedUnlabelledCounter extends Info implements UnlabelledCounter {
  declare readonly labelNames: readonly never[];
  readonly #family: SharedFamily;

  constructor(family: SharedFamily) {
    super(family);
    this.#family = family;
  }

  inc(value = 1, exemplar?: ExemplarLabels): void {
    const family = this.#family;
    if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      family.dropValue(value, COUNTER_VALUE);
      return;
    }
    const values = family.values;
    values[0] = (values[0] as number) + value;
    if (exemplar !== undefined) family.dropExemplar();
  }
}

/** Makes the counter of shared `family`: unlabelled when it has no label names. */
export function createSharedCounter<L extends string>(family: SharedFamily): Counter<L> {
  const counter =
    family.labelCount === 0
      ? new SharedUnlabelledCounter(family)
      : new SharedLabelledCounter(family as SharedFamily<SharedCounterBinding>);
  return counter as unknown as Counter<L>;
}
