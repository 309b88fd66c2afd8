import type { Gauge, GaugeHandle, LabelledGauge, UnlabelledGauge } from './gauge';
import { FINITE_VALUE } from './instrument';
import type { LabelValues } from './labels';
import type { SharedFamily } from './shared-family';

/**
 * A gauge of a shared registry. Each series is one cell that every thread updates: `inc` and
 * `dec` are compare-and-swap adds, so none is lost; `set` overwrites what every thread did
 * before it, and the last `set` wins (see `SharedFloatCells`).
 */
const SET = 0;
const ADD = 1;
const SUBTRACT = 2;

function badValue(value: unknown): boolean {
  return typeof value !== 'number' || !(value > Number.NEGATIVE_INFINITY && value < Number.POSITIVE_INFINITY);
}

function write(family: SharedFamily, slot: number, mode: number, value: number): void {
  if (mode === SET) family.cells.set(slot, value);
  else family.cells.add(slot, mode === ADD ? value : -value);
}

class SharedGaugeBinding implements GaugeHandle {
  readonly #family: SharedFamily<SharedGaugeBinding>;
  readonly #slot: number;
  readonly #overflow: boolean;
  /** The labels the handle was made from when they are bad (null for undefined), else undefined. */
  readonly #badLabels: unknown;

  constructor(family: SharedFamily<SharedGaugeBinding>, slot: number, overflow: boolean, badLabels: unknown) {
    this.#family = family;
    this.#slot = slot;
    this.#overflow = overflow;
    this.#badLabels = badLabels;
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
    write(family, this.#slot, mode, value);
  }
}

class Info {
  readonly type = 'gauge' as const;
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

class SharedLabelledGauge extends Info implements LabelledGauge<string> {
  readonly set: (labels: LabelValues<string>, value: number) => void;
  readonly inc: (labels: LabelValues<string>, value?: number) => void;
  readonly dec: (labels: LabelValues<string>, value?: number) => void;
  readonly #family: SharedFamily<SharedGaugeBinding>;

  constructor(family: SharedFamily<SharedGaugeBinding>) {
    super(family);
    this.#family = family;
    const lookup = family.lookup;
    const update = (labels: LabelValues<string>, mode: number, value: number): void => {
      if (badValue(value)) {
        family.dropValue(value, FINITE_VALUE);
        return;
      }
      let slot = lookup(labels);
      if (slot < 0) {
        slot = family.insert(labels);
        if (slot < 0) return;
      }
      write(family, slot, mode, value);
    };
    this.set = (labels, value) => update(labels, SET, value);
    this.inc = (labels, value = 1) => update(labels, ADD, value);
    this.dec = (labels, value = 1) => update(labels, SUBTRACT, value);
  }

  labels(labels: LabelValues<string>): GaugeHandle {
    const family = this.#family;
    return family.handle(
      labels,
      (slot, overflow, valid) =>
        new SharedGaugeBinding(family, slot, overflow, valid ? undefined : (labels ?? null)),
    );
  }

  /** A shared series is never removed (another thread may hold its slot): always false. */
  remove(_labels: LabelValues<string>): boolean {
    return false;
  }
}

class SharedUnlabelledGauge extends Info implements UnlabelledGauge {
  declare readonly labelNames: readonly never[];
  readonly #family: SharedFamily;

  constructor(family: SharedFamily) {
    super(family);
    this.#family = family;
  }

  set(value: number): void {
    if (badValue(value)) this.#family.dropValue(value, FINITE_VALUE);
    else this.#family.cells.set(0, value);
  }

  inc(value = 1): void {
    if (badValue(value)) this.#family.dropValue(value, FINITE_VALUE);
    else this.#family.cells.add(0, value);
  }

  dec(value = 1): void {
    if (badValue(value)) this.#family.dropValue(value, FINITE_VALUE);
    else this.#family.cells.add(0, -value);
  }
}

/** Makes the gauge of shared `family`: unlabelled when it has no label names. */
export function createSharedGauge<L extends string>(family: SharedFamily): Gauge<L> {
  const gauge =
    family.labelCount === 0
      ? new SharedUnlabelledGauge(family)
      : new SharedLabelledGauge(family as SharedFamily<SharedGaugeBinding>);
  return gauge as unknown as Gauge<L>;
}
