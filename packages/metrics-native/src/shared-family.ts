import type { InstrumentConfig } from './instrument-options';
import { compileLookup, insertValues, type LabelLookup, type LabelTrie, lookupValues } from './label-lookup';
import { OVERFLOW_LABEL } from './metric-name';
import { SharedFloatCells } from './shared-float-cells';
import {
  type FamilyRegion,
  FOLDED,
  INVALID_EXEMPLAR,
  INVALID_LABELS,
  INVALID_VALUE,
  NEXT_SLOT,
  OVERFLOW_USED,
} from './shared-layout';
import { findOrCreateSeries, NO_SLOT, readKey } from './shared-series-table';
import { showValue } from './validation-message';

/** What a shared family needs from the thread's registry view. */
export interface SharedFamilyContext {
  readonly now: () => number;
  readonly warn: (message: string) => void;
  readonly compileLookups: boolean;
}

/**
 * One thread's view of a shared instrument's series.
 *
 * - Counters and histograms add into this thread's **lane**: a column of plain Float64 cells that
 *   no other thread writes, so an update is the same typed-array add as in an unshared registry,
 *   with no atomic instruction and no lost update. A scrape sums the lanes of every thread.
 * - Gauges live in one cell per series that every thread updates with a compare-and-swap (see
 *   {@link SharedFloatCells}), because `set` must overwrite what other threads added.
 * - Label sets are agreed through the table in the buffer (see `shared-series-table.ts`); each
 *   thread caches the slots it has met in its own label trie, so a repeated label set costs the
 *   same compiled lookup as in an unshared registry.
 * - Series are never evicted or removed: a slot keeps its label set for the registry's life.
 *
 * Drop and fold counts live in the buffer (counted with `Atomics.add`, on slow paths only);
 * warnings are given once per thread.
 */
export class SharedFamily<H extends object = object> {
  readonly config: InstrumentConfig;
  readonly region: FamilyRegion;
  readonly labelCount: number;
  readonly lookup: LabelLookup;
  /** The overflow series' slot (the last), or -1 for an unlabelled instrument. */
  readonly overflowSlot: number;
  /** This thread's lane of value cells (counters, histogram buckets), indexed by slot × stride. */
  values: Float64Array;
  /** This thread's lane of histogram sums, indexed by slot. */
  sums: Float64Array;
  /** The gauge cells every thread updates. */
  cells: SharedFloatCells;
  readonly #root: LabelTrie = new Map();
  readonly #context: SharedFamilyContext;
  readonly #warned = new Set<string>();
  readonly #handles = new Map<number, H>();
  /** Label objects of the series this thread has scraped: a slot never changes its label set. */
  readonly #scraped: (Readonly<Record<string, string>> | undefined)[] = [];

  constructor(config: InstrumentConfig, region: FamilyRegion, lane: number, context: SharedFamilyContext) {
    this.config = config;
    this.region = region;
    this.#context = context;
    this.labelCount = config.labelNames.length;
    this.overflowSlot = this.labelCount === 0 ? -1 : config.seriesLimit;
    const cells = region.slots * region.stride;
    this.values = region.lanes.subarray(lane * region.laneStride, lane * region.laneStride + cells);
    this.sums =
      region.laneSums.length === 0
        ? region.laneSums
        : region.laneSums.subarray(lane * region.sumStride, lane * region.sumStride + region.slots);
    this.cells = new SharedFloatCells(region.cellBits);
    this.lookup =
      this.labelCount === 0 ? () => 0 : compileLookup(config.labelNames, this.#root, context.compileLookups);
  }

  /**
   * The slow path of a labelled update whose lookup missed: validates the labels, then finds or
   * creates the series in the buffer, or folds into the overflow series (counted). -1 when the
   * labels are bad (counted).
   */
  insert(labels: unknown): number {
    const values = this.readLabels(labels);
    if (values === undefined) return -1;
    const slot = this.acquire(values);
    if (slot === this.overflowSlot) this.countFold();
    return slot;
  }

  /** The slot of label values `values` (valid, in declared order): its own, or the overflow series'. */
  acquire(values: readonly string[]): number {
    const cached = lookupValues(this.#root, values);
    if (cached >= 0) return cached;
    const slot = findOrCreateSeries(
      this.region,
      JSON.stringify(values),
      this.config.seriesLimit,
      this.#context.now(),
    );
    if (slot === NO_SLOT) {
      // Not cached: past the limit every label set folds, and caching them would grow the trie.
      if (this.#firstTime('limit')) {
        this.#context.warn(
          `${this.#what()} reached its series limit of ${this.config.seriesLimit} (or its room for label values): new label sets are folded into the series {${OVERFLOW_LABEL}="true"}. Folded updates are counted in the snapshot (foldedUpdates).`,
        );
      }
      return this.overflowSlot;
    }
    insertValues(this.#root, values, slot);
    return slot;
  }

  /** Counts one update folded into the overflow series. */
  countFold(): void {
    const header = this.region.header;
    if (Atomics.load(header, OVERFLOW_USED) === 0) {
      this.region.created[this.overflowSlot] = this.#context.now();
      Atomics.store(header, OVERFLOW_USED, 1);
    }
    Atomics.add(header, FOLDED, 1);
  }

  /**
   * The bound handle of `labels`, the same object for the same label values in this thread.
   * `make` gets the slot, whether it is the overflow series, and false for bad labels.
   */
  handle(labels: unknown, make: (slot: number, overflow: boolean, valid: boolean) => H): H {
    const found = this.lookup(labels);
    if (found >= 0) {
      const cached = this.#handles.get(found);
      if (cached !== undefined) return cached;
    }
    const values = this.readLabels(labels);
    if (values === undefined) return make(0, false, false);
    const slot = this.acquire(values);
    if (slot === this.overflowSlot) return make(slot, true, true);
    let handle = this.#handles.get(slot);
    if (handle === undefined) {
      handle = make(slot, false, true);
      this.#handles.set(slot, handle);
    }
    return handle;
  }

  /** Reads one string per declared label, or counts the drop and returns undefined. */
  readLabels(labels: unknown): string[] | undefined {
    const names = this.config.labelNames;
    if (typeof labels === 'object' && labels !== null && !Array.isArray(labels)) {
      const record = labels as Record<string, unknown>;
      if (names.every((name) => typeof record[name] === 'string')) {
        return names.map((name) => record[name] as string);
      }
    }
    this.dropLabels(labels);
    return undefined;
  }

  /** Counts a dropped update value and warns once (in this thread). */
  dropValue(value: unknown, expected: string): void {
    Atomics.add(this.region.header, INVALID_VALUE, 1);
    if (this.#firstTime('value')) {
      this.#context.warn(
        `${this.#what()} dropped an update of ${showValue(value)}: expected ${expected}. Further drops are counted in the snapshot (dropped.invalidValue).`,
      );
    }
  }

  /** Counts an update with bad labels (or through a handle made from them) and warns once. */
  dropLabels(labels: unknown): void {
    Atomics.add(this.region.header, INVALID_LABELS, 1);
    if (this.#firstTime('labels')) {
      const names = this.config.labelNames.map((n) => `"${n}"`).join(', ');
      this.#context.warn(
        `${this.#what()} dropped an update: expected an object with string labels ${names}, received ${showValue(labels)}. Further drops are counted in the snapshot (dropped.invalidLabels).`,
      );
    }
  }

  /** Exemplars are objects of one thread: a shared registry counts them and keeps the update. */
  dropExemplar(): void {
    Atomics.add(this.region.header, INVALID_EXEMPLAR, 1);
    if (this.#firstTime('exemplar')) {
      this.#context.warn(
        `${this.#what()} ignored an exemplar: a shared registry does not keep exemplars. The update itself was kept (counted in dropped.invalidExemplar).`,
      );
    }
  }

  /** A drop or fold count from the buffer's header. */
  count(field: number): number {
    return Atomics.load(this.region.header, field) >>> 0;
  }

  /**
   * Visits every published series in slot (creation) order, then the overflow series if any
   * update was folded into it. `labels` is a frozen object per series, decoded from the buffer
   * on this thread's first scrape of it and reused after.
   */
  forEachSeries(
    visit: (slot: number, labels: Readonly<Record<string, string>>, overflow: boolean) => void,
  ): void {
    const region = this.region;
    if (this.labelCount === 0) {
      visit(0, EMPTY_LABELS, false);
      return;
    }
    const names = this.config.labelNames;
    const end = Math.min(Atomics.load(region.header, NEXT_SLOT), this.config.seriesLimit);
    for (let slot = 0; slot < end; slot++) {
      if (Atomics.load(region.published, slot) !== 1) continue;
      let labels = this.#scraped[slot];
      if (labels === undefined) {
        const values = JSON.parse(readKey(region, slot)) as string[];
        const record: Record<string, string> = {};
        for (let k = 0; k < names.length; k++) record[names[k] as string] = values[k] as string;
        labels = Object.freeze(record);
        this.#scraped[slot] = labels;
      }
      visit(slot, labels, false);
    }
    if (Atomics.load(region.header, OVERFLOW_USED) !== 0) visit(this.overflowSlot, OVERFLOW_LABELS, true);
  }

  /** Value cell `cell` (slot × stride + bucket) summed over every thread's lane. */
  laneTotal(cell: number): number {
    const lanes = this.region.lanes;
    const step = this.region.laneStride;
    let total = 0;
    for (let at = cell; at < lanes.length; at += step) total += lanes[at] as number;
    return total;
  }

  /** A histogram series' sum over every thread's lane. */
  sumTotal(slot: number): number {
    const sums = this.region.laneSums;
    let total = 0;
    for (let at = slot; at < sums.length; at += this.region.sumStride) total += sums[at] as number;
    return total;
  }

  /**
   * This thread gave its lane back: further updates from it go to private arrays that no scrape
   * reads, so they cannot race with the lane's next owner.
   */
  detach(): void {
    this.values = new Float64Array(this.values.length);
    this.sums = new Float64Array(this.sums.length);
    this.cells = new SharedFloatCells(new BigInt64Array(this.region.cells.length));
  }

  #firstTime(key: string): boolean {
    if (this.#warned.has(key)) return false;
    this.#warned.add(key);
    return true;
  }

  #what(): string {
    return `${this.config.type} "${this.config.name}"`;
  }
}

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const OVERFLOW_LABELS: Readonly<Record<string, string>> = Object.freeze({ [OVERFLOW_LABEL]: 'true' });
