import type { ExemplarLabels } from './labels';

/**
 * The values of every series of one instrument, in typed-array columns indexed by slot.
 *
 * A series is a slot. Counters and gauges keep one value cell per slot; histograms keep one
 * cell per bucket (`stride` cells) and a sum. Bound handles hold their slot and this store, so
 * an update is a few typed-array writes; the arrays are replaced (copied) when the store grows,
 * which is why handles read them through the store on each call rather than keeping them.
 *
 * - `touched` is set by every update and cleared by the idle sweep on collect: idleness costs
 *   no clock read per update.
 * - `gens` counts how often a slot has been freed. A handle remembers the generation it bound
 *   to; a mismatch means its series was evicted, and the handle re-creates it.
 * - `serials` numbers allocations, so that a sliced collect can leave out series created after
 *   it started, even in a slot freed and reused meanwhile.
 * - Exemplar columns exist only once the first exemplar is recorded.
 *
 * Typed arrays live outside the JS heap, so the benchmark reports heap and array-buffer bytes
 * together.
 */
export class SeriesStore {
  /** Value cells per series: 1, or the number of buckets (with `+Inf`) for a histogram. */
  readonly stride: number;
  /** The most slots the store may hold: the series limit plus the overflow series. */
  readonly maxCapacity: number;
  capacity: number;
  values: Float64Array;
  /** Histogram sums, one per slot; empty for counters and gauges. */
  sums: Float64Array;
  touched: Uint8Array;
  gens: Uint32Array;
  /** When each series was created, epoch ms. */
  created: Float64Array;
  /** The last collect that found the series touched (or its creation), epoch ms. */
  lastSeen: Float64Array;
  /** The allocation that made each series: 1 for the first, and up. */
  serials: Float64Array;
  /** Latest exemplar per value cell; undefined until one is recorded. */
  exemplarLabels: (ExemplarLabels | undefined)[] | undefined;
  exemplarValues: Float64Array;
  exemplarTimes: Float64Array;
  readonly #hasSums: boolean;
  /** Slots never used yet start here. */
  #next = 0;
  #serial = 0;
  readonly #free: number[] = [];

  constructor(stride: number, hasSums: boolean, maxCapacity: number) {
    this.stride = stride;
    this.#hasSums = hasSums;
    this.maxCapacity = maxCapacity;
    this.capacity = Math.min(maxCapacity, 8);
    const n = this.capacity;
    this.values = new Float64Array(n * stride);
    this.sums = new Float64Array(hasSums ? n : 0);
    this.touched = new Uint8Array(n);
    this.gens = new Uint32Array(n);
    this.created = new Float64Array(n);
    this.lastSeen = new Float64Array(n);
    this.serials = new Float64Array(n);
    this.exemplarValues = new Float64Array(0);
    this.exemplarTimes = new Float64Array(0);
  }

  /** Takes a free slot, growing the columns if needed; -1 when the store is full. Values are zeroed. */
  allocate(now: number): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#next === this.capacity) {
        if (this.capacity === this.maxCapacity) return -1;
        this.#grow(Math.min(this.maxCapacity, this.capacity * 2));
      }
      slot = this.#next++;
    }
    const base = slot * this.stride;
    this.values.fill(0, base, base + this.stride);
    if (this.#hasSums) this.sums[slot] = 0;
    this.touched[slot] = 1;
    this.created[slot] = now;
    this.lastSeen[slot] = now;
    this.serials[slot] = ++this.#serial;
    return slot;
  }

  /** The serial of the latest allocation (0 before the first). */
  get lastSerial(): number {
    return this.#serial;
  }

  /** Returns a slot to the free list; handles bound to it see a new generation. */
  release(slot: number): void {
    this.gens[slot] = ((this.gens[slot] as number) + 1) >>> 0;
    this.touched[slot] = 0;
    const labels = this.exemplarLabels;
    if (labels !== undefined) labels.fill(undefined, slot * this.stride, (slot + 1) * this.stride);
    this.#free.push(slot);
  }

  /** Keeps the latest exemplar of value cell `cell`. */
  setExemplar(cell: number, labels: ExemplarLabels, value: number, timestamp: number): void {
    if (this.exemplarLabels === undefined) {
      const cells = this.capacity * this.stride;
      this.exemplarLabels = new Array<ExemplarLabels | undefined>(cells).fill(undefined);
      this.exemplarValues = new Float64Array(cells);
      this.exemplarTimes = new Float64Array(cells);
    }
    this.exemplarLabels[cell] = labels;
    this.exemplarValues[cell] = value;
    this.exemplarTimes[cell] = timestamp;
  }

  /** Bytes held by the columns (typed arrays and the exemplar array's slots). */
  bytes(): number {
    let total =
      this.values.byteLength +
      this.sums.byteLength +
      this.touched.byteLength +
      this.gens.byteLength +
      this.created.byteLength +
      this.lastSeen.byteLength +
      this.serials.byteLength;
    if (this.exemplarLabels !== undefined) {
      total +=
        this.exemplarLabels.length * 8 + this.exemplarValues.byteLength + this.exemplarTimes.byteLength;
    }
    return total;
  }

  #grow(capacity: number): void {
    const stride = this.stride;
    this.values = copyInto(new Float64Array(capacity * stride), this.values);
    if (this.#hasSums) this.sums = copyInto(new Float64Array(capacity), this.sums);
    this.touched = copyInto(new Uint8Array(capacity), this.touched);
    this.gens = copyInto(new Uint32Array(capacity), this.gens);
    this.created = copyInto(new Float64Array(capacity), this.created);
    this.lastSeen = copyInto(new Float64Array(capacity), this.lastSeen);
    this.serials = copyInto(new Float64Array(capacity), this.serials);
    if (this.exemplarLabels !== undefined) {
      const cells = capacity * stride;
      const labels = new Array<ExemplarLabels | undefined>(cells).fill(undefined);
      for (let i = 0; i < this.exemplarLabels.length; i++) labels[i] = this.exemplarLabels[i];
      this.exemplarLabels = labels;
      this.exemplarValues = copyInto(new Float64Array(cells), this.exemplarValues);
      this.exemplarTimes = copyInto(new Float64Array(cells), this.exemplarTimes);
    }
    this.capacity = capacity;
  }
}

function copyInto<T extends Float64Array | Uint32Array | Uint8Array>(target: T, source: T): T {
  target.set(source);
  return target;
}
