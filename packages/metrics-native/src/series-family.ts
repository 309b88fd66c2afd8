import type { InstrumentConfig } from './instrument-options';
import {
  compileLookup,
  deleteValues,
  insertValues,
  type LabelLookup,
  type LabelTrie,
  lookupValues,
  walkTrie,
} from './label-lookup';
import { type ExemplarLabels, exemplarProblem } from './labels';
import { OVERFLOW_LABEL } from './metric-name';
import { RetentionRings } from './retention-rings';
import { SeriesStore } from './series-store';
import { type SeriesView, SeriesViews } from './series-views';
import { showValue } from './validation-message';

/** What a family needs from its registry. */
export interface FamilyContext {
  readonly now: () => number;
  readonly warn: (message: string) => void;
  /** False to use the generic label lookup instead of a compiled one. */
  readonly compileLookups: boolean;
}

/** Counts of what a family refused or folded, since it was made. */
export interface FamilyCounts {
  invalidValue: number;
  invalidLabels: number;
  invalidExemplar: number;
  foldedUpdates: number;
  evictedSeries: number;
  collectErrors: number;
}

/** A generation no slot ever has: handles holding it always take the slow path. */
export const DETACHED = -1;

/**
 * The series of one instrument: label lookup, slots, the series limit and its overflow
 * series, idle eviction, bound-handle cache, drop counts and one-time warnings. The typed
 * instruments (counter, gauge, histogram) write values through {@link SeriesStore}.
 *
 * The update path is `lookup(labels)` (compiled, allocation-free) and a write; everything here
 * besides `lookup` is the slow path: a new series, bad input, overflow, eviction.
 */
export class SeriesFamily<H extends object = object> {
  readonly config: InstrumentConfig;
  readonly store: SeriesStore;
  readonly root: LabelTrie = new Map();
  readonly lookup: LabelLookup;
  readonly labelCount: number;
  readonly rings: RetentionRings | undefined;
  readonly counts: FamilyCounts = {
    invalidValue: 0,
    invalidLabels: 0,
    invalidExemplar: 0,
    foldedUpdates: 0,
    evictedSeries: 0,
    collectErrors: 0,
  };
  readonly #context: FamilyContext;
  readonly #warned = new Set<string>();
  readonly #handles = new Map<number, H>();
  readonly #views = new SeriesViews();
  #live = 0;
  #overflowSlot = -1;
  #source: (() => number) | undefined;

  constructor(config: InstrumentConfig, context: FamilyContext) {
    this.config = config;
    this.#context = context;
    this.labelCount = config.labelNames.length;
    const stride = config.type === 'histogram' ? config.buckets.length + 1 : 1;
    // Unlabelled: one series. Labelled: up to the limit, plus the overflow series.
    const maxCapacity = this.labelCount === 0 ? 1 : config.seriesLimit + 1;
    this.store = new SeriesStore(stride, config.type === 'histogram', maxCapacity);
    this.lookup =
      this.labelCount === 0 ? () => 0 : compileLookup(config.labelNames, this.root, context.compileLookups);
    this.rings =
      config.retention.length > 0
        ? new RetentionRings(config.retention, config.type === 'histogram' ? 2 : 1, this.store.capacity)
        : undefined;
    if (this.labelCount === 0) this.#allocate();
  }

  /** Number of label sets with a series of their own (the overflow series not included). */
  get liveSeries(): number {
    return this.labelCount === 0 ? 1 : this.#live;
  }

  /** The overflow series' slot, or -1 when no update has overflowed (or it was evicted). */
  get overflowSlot(): number {
    return this.#overflowSlot;
  }

  /**
   * For an unlabelled counter or gauge, whose one value lives in a field of the instrument:
   * V8 keeps an object field in a register across a loop of updates, a typed-array element it
   * does not (see the no-label case in `bench/results/metrics-native.md`). The value is copied
   * into the store before each read.
   */
  readValueFrom(source: () => number): void {
    this.#source = source;
  }

  // The drop paths below are on the update path: they count, and build a warning message only
  // the first time, so a stream of bad updates allocates nothing.

  /** Counts a dropped update value and warns once. */
  dropValue(value: unknown, expected: string): void {
    this.counts.invalidValue++;
    if (this.#firstTime('value')) {
      this.#context.warn(
        `${this.#what()} dropped an update of ${showValue(value)}: expected ${expected}. Further drops are counted in the snapshot (dropped.invalidValue).`,
      );
    }
  }

  /** Counts an update whose labels (an object, or what was passed instead) are bad, and warns once. */
  dropLabels(labels: unknown): void {
    this.counts.invalidLabels++;
    if (this.#firstTime('labels')) this.#warnLabels(this.#labelsProblem(labels) ?? 'its labels are invalid');
  }

  /** Counts an update through a handle made from bad labels, and warns once. */
  dropBoundUpdate(): void {
    this.counts.invalidLabels++;
    if (this.#firstTime('labels')) this.#warnLabels('the handle was made from invalid labels');
  }

  /** Records the latest exemplar of value cell `cell`, or counts and warns about a bad one. */
  exemplar(cell: number, labels: ExemplarLabels, value: number): void {
    const problem = exemplarProblem(labels);
    if (problem !== undefined) {
      this.counts.invalidExemplar++;
      if (this.#firstTime('exemplar')) {
        this.#context.warn(`${this.#what()} ignored an exemplar: ${problem}. The update itself was kept.`);
      }
      return;
    }
    this.store.setExemplar(cell, labels, value, this.#context.now());
  }

  /**
   * The slow path of a labelled update whose lookup missed: validates the labels, then creates
   * the series, or folds into the overflow series (counted when `fold`). -1 when the labels are
   * bad (counted). Past the limit, a fold allocates nothing.
   */
  insert(labels: unknown, fold: boolean): number {
    if (this.#live >= this.config.seriesLimit) {
      if (!this.#labelsValid(labels)) {
        this.dropLabels(labels);
        return -1;
      }
      return this.#overflow(fold);
    }
    const values = this.readLabels(labels);
    return values === undefined ? -1 : this.acquire(values, fold);
  }

  /** The series of label values `values` (valid, in declared order), created if need be. */
  acquire(values: readonly string[], fold: boolean): number {
    const existing = lookupValues(this.root, values);
    if (existing >= 0) return existing;
    if (this.#live >= this.config.seriesLimit) return this.#overflow(fold);
    const slot = this.#allocate();
    insertValues(this.root, values, slot);
    this.#live++;
    return slot;
  }

  /**
   * Reads one value per declared label from `labels`; each must be a string. Undeclared
   * properties are ignored (TypeScript rejects them at compile time) and warned about once.
   * Returns undefined, counted, when a label is missing or not a string.
   */
  readLabels(labels: unknown): string[] | undefined {
    if (!this.#labelsValid(labels)) {
      this.dropLabels(labels);
      return undefined;
    }
    const record = labels as Record<string, string>;
    const names = this.config.labelNames;
    if (!this.#warned.has('extra-label')) {
      const extra = Object.keys(record).find((key) => !names.includes(key));
      if (extra !== undefined && this.#firstTime('extra-label')) {
        this.#context.warn(
          `${this.#what()} ignores label "${extra}": it is not one of its labelNames (${names.join(', ')}).`,
        );
      }
    }
    return names.map((name) => record[name] as string);
  }

  /** True when `labels` is an object whose declared labels are all strings. Allocates nothing. */
  #labelsValid(labels: unknown): boolean {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return false;
    const names = this.config.labelNames;
    for (let k = 0; k < names.length; k++) {
      if (typeof (labels as Record<string, unknown>)[names[k] as string] !== 'string') return false;
    }
    return true;
  }

  /** What is wrong with `labels`, for the warning; undefined when nothing is. */
  #labelsProblem(labels: unknown): string | undefined {
    const names = this.config.labelNames;
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
      return `expected an object with labels ${names.map((n) => `"${n}"`).join(', ')}, received ${showValue(labels)}`;
    }
    for (const name of names) {
      const value = (labels as Record<string, unknown>)[name];
      if (typeof value !== 'string') {
        return value === undefined
          ? `label "${name}" is missing`
          : `label "${name}" must be a string, received ${showValue(value)}`;
      }
    }
    return undefined;
  }

  #warnLabels(problem: string): void {
    this.#context.warn(
      `${this.#what()} dropped an update: ${problem}. Further drops are counted in the snapshot (dropped.invalidLabels).`,
    );
  }

  /**
   * The bound handle of `labels`: the same object for the same label values while their series
   * lives. `make` builds a handle for a slot and its generation ({@link DETACHED} for the
   * overflow series and for bad labels, whose updates then take the slow path).
   */
  handle(
    labels: unknown,
    make: (slot: number, generation: number, values: readonly string[] | undefined) => H,
  ): H {
    const found = this.lookup(labels);
    if (found >= 0) {
      const cached = this.#handles.get(found);
      if (cached !== undefined) return cached;
    }
    const values = this.readLabels(labels);
    if (values === undefined) return make(0, DETACHED, undefined);
    const slot = this.acquire(values, false);
    if (slot === this.#overflowSlot) return make(slot, DETACHED, values);
    let handle = this.#handles.get(slot);
    if (handle === undefined) {
      handle = make(slot, this.store.gens[slot] as number, values);
      this.#handles.set(slot, handle);
    }
    return handle;
  }

  /** Keeps `view`, a handle bound to `slot`, current (see `series-views.ts`). */
  watch(slot: number, view: SeriesView): void {
    this.#views.watch(slot, view);
  }

  /** Records `handle` as the handle of `slot` unless the slot has one. */
  adopt(slot: number, handle: H): void {
    if (slot !== this.#overflowSlot && !this.#handles.has(slot)) this.#handles.set(slot, handle);
  }

  /** Removes the series of `labels`; its handles re-create it on their next update. */
  remove(labels: unknown): boolean {
    if (this.labelCount === 0) return false;
    // Not an update: bad labels match no series, and are not counted as a drop.
    if (!this.#labelsValid(labels)) return false;
    const record = labels as Record<string, string>;
    const slot = deleteValues(
      this.root,
      this.config.labelNames.map((name) => record[name] as string),
    );
    if (slot < 0) return false;
    this.#release(slot);
    return true;
  }

  /**
   * On collect, for each series: one updated since the last sweep is marked seen `now`; true
   * when a labelled series was not seen for longer than `idleTtlMs` (it is then to be evicted).
   */
  idle(slot: number, now: number): boolean {
    const store = this.store;
    if (store.touched[slot] === 1) {
      store.touched[slot] = 0;
      store.lastSeen[slot] = now;
      return false;
    }
    return this.labelCount > 0 && now - (store.lastSeen[slot] as number) > this.config.idleTtlMs;
  }

  /** Evicts the labelled series at `slot`, which the caller has deleted from the trie. */
  evict(slot: number): void {
    this.#release(slot);
    this.counts.evictedSeries++;
  }

  /** Evicts the overflow series. */
  evictOverflow(): void {
    this.store.release(this.#overflowSlot);
    this.#overflowSlot = -1;
    this.counts.evictedSeries++;
  }

  /**
   * Flushes what bound handles added to the series at `slot` into its value, and marks it
   * touched if they updated it (see `series-views.ts`). A collect calls it at the series' turn.
   */
  flushViews(slot: number): void {
    this.#views.flush(slot, this.store.values, this.store.touched);
  }

  /** A fresh frozen labels object for label values `values` (in declared order). */
  labelsOf(values: readonly string[]): Readonly<Record<string, string>> {
    const names = this.config.labelNames;
    const labels: Record<string, string> = {};
    for (let k = 0; k < names.length; k++) labels[names[k] as string] = values[k] as string;
    return Object.freeze(labels);
  }

  /** Copies an unlabelled counter's or gauge's value into the store before it is read. */
  flush(): void {
    if (this.#source !== undefined) this.store.values[0] = this.#source();
  }

  /**
   * Visits every series: labelled ones in trie order, then the overflow series. `labels` is a
   * fresh frozen object per series.
   */
  forEachSeries(
    visit: (slot: number, labels: Readonly<Record<string, string>>, overflow: boolean) => void,
  ): void {
    if (this.labelCount === 0) {
      this.flush();
      visit(0, EMPTY_LABELS, false);
      return;
    }
    this.#views.flushAll(this.store.values);
    walkTrie(this.root, this.labelCount, (values, slot) => {
      visit(slot, this.labelsOf(values), false);
      return false;
    });
    if (this.#overflowSlot >= 0) visit(this.#overflowSlot, OVERFLOW_LABELS, true);
  }

  /** Visits the slot of every series, the overflow series last. Allocates nothing per series. */
  forEachSlot(visit: (slot: number) => void): void {
    if (this.labelCount === 0) {
      this.flush();
      visit(0);
      return;
    }
    this.#views.flushAll(this.store.values);
    walkTrie(this.root, this.labelCount, (_values, slot) => {
      visit(slot);
      return false;
    });
    if (this.#overflowSlot >= 0) visit(this.#overflowSlot);
  }

  /** Warns once per `key` for this family. */
  warnOnce(key: string, message: string): void {
    if (this.#firstTime(key)) this.#context.warn(message);
  }

  /** True the first time it is called with `key`. */
  #firstTime(key: string): boolean {
    if (this.#warned.has(key)) return false;
    this.#warned.add(key);
    return true;
  }

  #what(): string {
    return `${this.config.type} "${this.config.name}"`;
  }

  #overflow(fold: boolean): number {
    if (this.#overflowSlot < 0) this.#overflowSlot = this.#allocate();
    if (fold) this.counts.foldedUpdates++;
    if (this.#firstTime('limit')) {
      this.#context.warn(
        `${this.#what()} reached its series limit of ${this.config.seriesLimit}: new label sets are folded into the series {${OVERFLOW_LABEL}="true"}. Folded updates are counted in the snapshot (foldedUpdates).`,
      );
    }
    return this.#overflowSlot;
  }

  #allocate(): number {
    const slot = this.store.allocate(this.#context.now());
    // The store never fills: it holds the limit plus the overflow series, and both are checked.
    if (this.rings !== undefined) {
      this.rings.resize(this.store.capacity);
      this.rings.clear(slot);
    }
    return slot;
  }

  #release(slot: number): void {
    this.store.release(slot);
    this.#views.release(slot);
    this.#handles.delete(slot);
    this.#live--;
  }
}

export const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
export const OVERFLOW_LABELS: Readonly<Record<string, string>> = Object.freeze({ [OVERFLOW_LABEL]: 'true' });
