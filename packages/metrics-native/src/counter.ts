import { COUNTER_VALUE, type InstrumentInfo } from './instrument';
import type { ExemplarLabels, LabelValues } from './labels';
import { DETACHED, type SeriesFamily } from './series-family';
import type { SeriesView } from './series-views';

/** A counter bound to one label set: `counter.labels({...})`. */
export interface CounterHandle {
  /**
   * Adds `value` (default 1). A negative, non-finite or non-number value is dropped and
   * counted, never thrown. `exemplar` (e.g. `{ trace_id }`) becomes the series' latest exemplar.
   */
  inc(value?: number, exemplar?: ExemplarLabels): void;
}

/** A counter with label names `L`. */
export interface LabelledCounter<L extends string> extends InstrumentInfo<L> {
  readonly type: 'counter';
  /**
   * Adds `value` (default 1) to the series of `labels`, creating it on first use. Bad values
   * and labels are dropped and counted, never thrown.
   */
  inc(labels: LabelValues<L>, value?: number, exemplar?: ExemplarLabels): void;
  /** The bound handle of `labels`: the same object for the same label values. */
  labels(labels: LabelValues<L>): CounterHandle;
  /** Deletes the series of `labels`. Its handles re-create it on their next update. */
  remove(labels: LabelValues<L>): boolean;
}

/** A counter without labels: one series, updated directly. */
export interface UnlabelledCounter extends InstrumentInfo<never>, CounterHandle {
  readonly type: 'counter';
}

/**
 * A monotonic counter; its name ends in `_total`. Made by `registry.counter(...)`: without
 * `labelNames` it is an {@link UnlabelledCounter}, with them a {@link LabelledCounter}.
 */
export type Counter<L extends string = never> = [L] extends [never] ? UnlabelledCounter : LabelledCounter<L>;

/** The view of a handle without a series of its own: its updates take the slow path. */
const NO_CELL = new Float64Array(0);

/**
 * A counter handle bound to one slot. It adds into a one-cell view of its series' value (see
 * `series-views.ts` for why, and how the family keeps the view current). A handle made from bad
 * labels, bound to the overflow series, or whose series was released holds an empty view, and
 * its updates take the slow path.
 */
class CounterBinding implements CounterHandle, SeriesView {
  readonly #family: SeriesFamily<CounterBinding>;
  readonly #values: readonly string[] | undefined;
  #slot: number;
  #cell: Float64Array = NO_CELL;
  #touched = false;

  constructor(
    family: SeriesFamily<CounterBinding>,
    slot: number,
    generation: number,
    values: readonly string[] | undefined,
  ) {
    this.#family = family;
    this.#slot = slot;
    this.#values = values;
    if (generation !== DETACHED) this.#attach(slot);
  }

  inc(value = 1, exemplar?: ExemplarLabels): void {
    if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      this.#family.dropValue(value, COUNTER_VALUE);
      return;
    }
    const cell = this.#cell;
    if (cell.length === 0) {
      this.#incUnbound(value, exemplar);
      return;
    }
    cell[0] = (cell[0] as number) + value;
    this.#touched = true;
    if (exemplar !== undefined) this.#family.exemplar(this.#slot, exemplar, value);
  }

  refresh(): void {
    this.#cell = this.#family.store.values.subarray(this.#slot, this.#slot + 1);
  }

  detach(): void {
    this.#cell = NO_CELL;
  }

  takeTouched(): boolean {
    const touched = this.#touched;
    this.#touched = false;
    return touched;
  }

  #attach(slot: number): void {
    this.#slot = slot;
    this.refresh();
    this.#family.watch(slot, this);
  }

  /**
   * The series was released (or is the overflow series, or the labels were bad): re-create it
   * and bind to it, or fold into the overflow series (counted on each update).
   */
  #incUnbound(value: number, exemplar: ExemplarLabels | undefined): void {
    const family = this.#family;
    if (this.#values === undefined) {
      family.dropBoundUpdate();
      return;
    }
    const slot = family.acquire(this.#values, true);
    if (slot === family.overflowSlot) {
      this.#slot = slot;
    } else {
      this.#attach(slot);
      family.adopt(slot, this);
    }
    const store = family.store;
    store.values[slot] = (store.values[slot] as number) + value;
    store.touched[slot] = 1;
    if (exemplar !== undefined) family.exemplar(slot, exemplar, value);
  }
}

class Info {
  readonly type = 'counter' as const;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];

  constructor(family: SeriesFamily<CounterBinding>) {
    this.name = family.config.name;
    this.help = family.config.help;
    this.unit = family.config.unit;
    this.labelNames = family.config.labelNames;
  }
}

/**
 * The per-call update is a closure made for each instrument, not a method on the prototype:
 * a call site that updates one instrument then sees one function, which V8 inlines together
 * with the instrument's compiled label lookup (a constant of the closure). A shared method
 * would call every instrument's lookup from one site, which V8 cannot inline once it has seen
 * several (case 2 of `bench/metrics-native.bench.ts` runs with several labelled counters).
 */
class LabelledCounterImpl extends Info implements LabelledCounter<string> {
  readonly inc: (labels: LabelValues<string>, value?: number, exemplar?: ExemplarLabels) => void;
  readonly #family: SeriesFamily<CounterBinding>;
  readonly #make = (slot: number, generation: number, values: readonly string[] | undefined) =>
    new CounterBinding(this.#family, slot, generation, values);

  constructor(family: SeriesFamily<CounterBinding>) {
    super(family);
    this.#family = family;
    const lookup = family.lookup;
    const store = family.store;
    this.inc = (labels, value = 1, exemplar) => {
      if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
        family.dropValue(value, COUNTER_VALUE);
        return;
      }
      let slot = lookup(labels);
      if (slot < 0) {
        slot = family.insert(labels, true);
        if (slot < 0) return;
      }
      store.values[slot] = (store.values[slot] as number) + value;
      store.touched[slot] = 1;
      if (exemplar !== undefined) family.exemplar(slot, exemplar, value);
    };
  }

  labels(labels: LabelValues<string>): CounterHandle {
    return this.#family.handle(labels, this.#make);
  }

  remove(labels: LabelValues<string>): boolean {
    return this.#family.remove(labels);
  }
}

class UnlabelledCounterImpl extends Info implements UnlabelledCounter {
  declare readonly labelNames: readonly never[];
  readonly #family: SeriesFamily<CounterBinding>;
  /** The one series' value, read into the store at collect (see `SeriesFamily.readValueFrom`). */
  #value = 0;

  constructor(family: SeriesFamily<CounterBinding>) {
    super(family);
    this.#family = family;
    family.readValueFrom(() => this.#value);
  }

  inc(value = 1, exemplar?: ExemplarLabels): void {
    if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      this.#family.dropValue(value, COUNTER_VALUE);
      return;
    }
    this.#value += value;
    if (exemplar !== undefined) this.#family.exemplar(0, exemplar, value);
  }
}

/** Makes the counter of `family`: unlabelled when it has no label names. */
export function createCounter<L extends string>(family: SeriesFamily<CounterBinding>): Counter<L> {
  const counter =
    family.labelCount === 0 ? new UnlabelledCounterImpl(family) : new LabelledCounterImpl(family);
  return counter as unknown as Counter<L>;
}

/** The family type a counter is made from. */
export type CounterFamily = SeriesFamily<CounterBinding>;
