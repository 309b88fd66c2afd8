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

/**
 * A counter handle bound to one slot. It adds into a field of its own, which the family flushes
 * into the store before anything reads the series (see `series-views.ts` for why). A handle made
 * from bad labels, bound to the overflow series, or whose series was released takes the slow
 * path.
 */
class CounterBinding implements CounterHandle, SeriesView {
  readonly #family: SeriesFamily<CounterBinding>;
  readonly #values: readonly string[] | undefined;
  #slot: number;
  /** Added since the family last flushed it into the store. */
  #pending = 0;
  /** 0: no series of its own (slow path); 1: bound; 2: bound and updated since the last sweep. */
  #state = 0;

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
    if (this.#state === 0) {
      this.#incUnbound(value, exemplar);
      return;
    }
    this.#pending += value;
    this.#state = 2;
    if (exemplar !== undefined) this.#family.exemplar(this.#slot, exemplar, value);
  }

  flush(values: Float64Array): void {
    if (this.#pending === 0) return;
    values[this.#slot] = (values[this.#slot] as number) + this.#pending;
    this.#pending = 0;
  }

  detach(): void {
    this.#state = 0;
    this.#pending = 0;
  }

  takeTouched(): boolean {
    if (this.#state !== 2) return false;
    this.#state = 1;
    return true;
  }

  #attach(slot: number): void {
    this.#slot = slot;
    this.#state = 1;
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
