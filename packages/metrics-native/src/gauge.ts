import { FINITE_VALUE, type InstrumentInfo } from './instrument';
import type { LabelValues } from './labels';
import { DETACHED, type SeriesFamily } from './series-family';
import type { SeriesStore } from './series-store';

/** A gauge bound to one label set: `gauge.labels({...})`. */
export interface GaugeHandle {
  /** Sets the value. A non-finite or non-number value is dropped and counted, never thrown. */
  set(value: number): void;
  /** Adds `value` (default 1). */
  inc(value?: number): void;
  /** Subtracts `value` (default 1). */
  dec(value?: number): void;
}

/** A gauge with label names `L`. */
export interface LabelledGauge<L extends string> extends InstrumentInfo<L> {
  readonly type: 'gauge';
  set(labels: LabelValues<L>, value: number): void;
  inc(labels: LabelValues<L>, value?: number): void;
  dec(labels: LabelValues<L>, value?: number): void;
  /** The bound handle of `labels`: the same object for the same label values. */
  labels(labels: LabelValues<L>): GaugeHandle;
  /** Deletes the series of `labels`. Its handles re-create it on their next update. */
  remove(labels: LabelValues<L>): boolean;
}

/** A gauge without labels: one series, updated directly. */
export interface UnlabelledGauge extends InstrumentInfo<never>, GaugeHandle {
  readonly type: 'gauge';
}

/**
 * A value that goes up and down. Made by `registry.gauge(...)`: without `labelNames` it is an
 * {@link UnlabelledGauge}, with them a {@link LabelledGauge}.
 */
export type Gauge<L extends string = never> = [L] extends [never] ? UnlabelledGauge : LabelledGauge<L>;

const SET = 0;
const ADD = 1;
const SUBTRACT = 2;

function badValue(value: unknown): boolean {
  return typeof value !== 'number' || !(value > Number.NEGATIVE_INFINITY && value < Number.POSITIVE_INFINITY);
}

function write(store: SeriesStore, slot: number, mode: number, value: number): void {
  const current = store.values[slot] as number;
  store.values[slot] = mode === SET ? value : mode === ADD ? current + value : current - value;
  store.touched[slot] = 1;
}

class GaugeBinding implements GaugeHandle {
  readonly #family: SeriesFamily<GaugeBinding>;
  readonly #store: SeriesStore;
  readonly #values: readonly string[] | undefined;
  #slot: number;
  #generation: number;

  constructor(
    family: SeriesFamily<GaugeBinding>,
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

  set(value: number): void {
    this.#update(SET, value);
  }

  inc(value = 1): void {
    this.#update(ADD, value);
  }

  dec(value = 1): void {
    this.#update(SUBTRACT, value);
  }

  #update(mode: number, value: number): void {
    if (badValue(value)) {
      this.#family.dropValue(value, FINITE_VALUE);
      return;
    }
    let slot = this.#slot;
    if (this.#store.gens[slot] !== this.#generation) {
      slot = this.#rebind();
      if (slot < 0) return;
    }
    write(this.#store, slot, mode, value);
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
  readonly type = 'gauge' as const;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly string[];

  constructor(family: SeriesFamily<GaugeBinding>) {
    this.name = family.config.name;
    this.help = family.config.help;
    this.unit = family.config.unit;
    this.labelNames = family.config.labelNames;
  }
}

/** Per-call updates are closures made for each instrument: see `LabelledCounterImpl` for why. */
class LabelledGaugeImpl extends Info implements LabelledGauge<string> {
  readonly set: (labels: LabelValues<string>, value: number) => void;
  readonly inc: (labels: LabelValues<string>, value?: number) => void;
  readonly dec: (labels: LabelValues<string>, value?: number) => void;
  readonly #family: SeriesFamily<GaugeBinding>;
  readonly #make = (slot: number, generation: number, values: readonly string[] | undefined) =>
    new GaugeBinding(this.#family, slot, generation, values);

  constructor(family: SeriesFamily<GaugeBinding>) {
    super(family);
    this.#family = family;
    const lookup = family.lookup;
    const store = family.store;
    const update = (labels: LabelValues<string>, mode: number, value: number): void => {
      if (badValue(value)) {
        family.dropValue(value, FINITE_VALUE);
        return;
      }
      let slot = lookup(labels);
      if (slot < 0) {
        slot = family.insert(labels, true);
        if (slot < 0) return;
      }
      write(store, slot, mode, value);
    };
    this.set = (labels, value) => update(labels, SET, value);
    this.inc = (labels, value = 1) => update(labels, ADD, value);
    this.dec = (labels, value = 1) => update(labels, SUBTRACT, value);
  }

  labels(labels: LabelValues<string>): GaugeHandle {
    return this.#family.handle(labels, this.#make);
  }

  remove(labels: LabelValues<string>): boolean {
    return this.#family.remove(labels);
  }
}

class UnlabelledGaugeImpl extends Info implements UnlabelledGauge {
  declare readonly labelNames: readonly never[];
  readonly #family: SeriesFamily<GaugeBinding>;
  /** The one series' value, read into the store at collect (see `SeriesFamily.readValueFrom`). */
  #value = 0;

  constructor(family: SeriesFamily<GaugeBinding>) {
    super(family);
    this.#family = family;
    family.readValueFrom(() => this.#value);
  }

  set(value: number): void {
    if (badValue(value)) this.#family.dropValue(value, FINITE_VALUE);
    else this.#value = value;
  }

  inc(value = 1): void {
    if (badValue(value)) this.#family.dropValue(value, FINITE_VALUE);
    else this.#value += value;
  }

  dec(value = 1): void {
    if (badValue(value)) this.#family.dropValue(value, FINITE_VALUE);
    else this.#value -= value;
  }
}

/** Makes the gauge of `family`: unlabelled when it has no label names. */
export function createGauge<L extends string>(family: SeriesFamily<GaugeBinding>): Gauge<L> {
  const gauge = family.labelCount === 0 ? new UnlabelledGaugeImpl(family) : new LabelledGaugeImpl(family);
  return gauge as unknown as Gauge<L>;
}

/** The family type a gauge is made from. */
export type GaugeFamily = SeriesFamily<GaugeBinding>;
