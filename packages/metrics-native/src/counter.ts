import { COUNTER_VALUE, type InstrumentInfo } from './instrument';
import type { ExemplarLabels, LabelValues } from './labels';
import { DETACHED, type SeriesFamily } from './series-family';
import type { SeriesStore } from './series-store';

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

/** A counter handle bound to one slot. See `SeriesStore` for the generation check. */
class CounterBinding implements CounterHandle {
  readonly #family: SeriesFamily<CounterBinding>;
  readonly #store: SeriesStore;
  readonly #values: readonly string[] | undefined;
  #slot: number;
  #generation: number;

  constructor(
    family: SeriesFamily<CounterBinding>,
    slot: number,
    generation: number,
    values: readonly string[] | undefined,
  ) {
    this.#family = family;
    this.#store = family.store;
    this.#slot = slot;
    this.#generation = generation;
    this.#values = values;
  }

  inc(value = 1, exemplar?: ExemplarLabels): void {
    if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      this.#family.dropValue(value, COUNTER_VALUE);
      return;
    }
    const store = this.#store;
    let slot = this.#slot;
    if (store.gens[slot] !== this.#generation) {
      slot = this.#rebind();
      if (slot < 0) return;
    }
    store.values[slot] = (store.values[slot] as number) + value;
    store.touched[slot] = 1;
    if (exemplar !== undefined) this.#family.exemplar(slot, exemplar, value);
  }

  /** The series was evicted (or is the overflow series, or the labels were bad). */
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
