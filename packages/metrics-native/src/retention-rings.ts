import type { RetentionTier } from './retention-policy';

/**
 * Rolled-up history of one instrument: per series and per tier, a ring of `points` points of
 * `fields` numbers each (a counter or gauge value; a histogram's count and sum).
 *
 * Points are aligned to the clock: point `j` of a tier covers `[j × resolution, (j + 1) ×
 * resolution)` and holds the last value sampled in that interval. Sampling happens on collect
 * (and on `sample()` and `history()`), so the finest useful resolution is the scrape interval.
 * An interval with no sample holds NaN and is left out of the history.
 *
 * Rings are typed-array columns that grow with the series store, never past the series limit
 * plus one: at most `(seriesLimit + 1) × Σ points × fields × 8` bytes, known when the
 * instrument is made.
 */
export class RetentionRings {
  readonly tiers: readonly RetentionTier[];
  readonly fields: number;
  /** Numbers per slot, all tiers. */
  readonly perSlot: number;
  readonly #offsets: number[];
  /** The last interval index written, per tier; -1 before the first sample. */
  readonly #lastInterval: number[];
  data: Float64Array;
  #capacity: number;

  constructor(tiers: readonly RetentionTier[], fields: number, capacity: number) {
    this.tiers = tiers;
    this.fields = fields;
    this.#offsets = [];
    let offset = 0;
    for (const tier of tiers) {
      this.#offsets.push(offset);
      offset += tier.points * fields;
    }
    this.perSlot = offset;
    this.#lastInterval = tiers.map(() => -1);
    this.#capacity = capacity;
    this.data = new Float64Array(capacity * offset).fill(Number.NaN);
  }

  /** Most bytes these rings can take for a store of `maxCapacity` slots. */
  static maxBytes(tiers: readonly RetentionTier[], fields: number, maxCapacity: number): number {
    let points = 0;
    for (const tier of tiers) points += tier.points;
    return maxCapacity * points * fields * 8;
  }

  /** Follows the store's growth. */
  resize(capacity: number): void {
    if (capacity <= this.#capacity) return;
    const data = new Float64Array(capacity * this.perSlot).fill(Number.NaN);
    data.set(this.data);
    this.data = data;
    this.#capacity = capacity;
  }

  /** Empties a slot's rings, for a series that takes over a freed slot. */
  clear(slot: number): void {
    this.data.fill(Number.NaN, slot * this.perSlot, (slot + 1) * this.perSlot);
  }

  /**
   * Starts the interval that holds `now` in every tier: intervals skipped since the last
   * sample are emptied. Returns false when the clock went backwards (nothing is written).
   */
  advance(now: number): boolean {
    for (let t = 0; t < this.tiers.length; t++) {
      const tier = this.tiers[t] as RetentionTier;
      const interval = Math.floor(now / tier.resolutionMs);
      const last = this.#lastInterval[t] as number;
      if (interval < last) return false;
      if (last >= 0 && interval > last + 1) {
        const gap = Math.min(interval - last - 1, tier.points);
        for (let j = 1; j <= gap; j++) this.#clearPoint(t, (last + j) % tier.points);
      }
      this.#lastInterval[t] = interval;
    }
    return true;
  }

  /** Writes `value` into field `field` of the current point of every tier, for `slot`. */
  write(slot: number, field: number, value: number): void {
    const base = slot * this.perSlot;
    for (let t = 0; t < this.tiers.length; t++) {
      const tier = this.tiers[t] as RetentionTier;
      const position = (this.#lastInterval[t] as number) % tier.points;
      this.data[base + (this.#offsets[t] as number) + position * this.fields + field] = value;
    }
  }

  /**
   * The tier that serves a window of `windowMs`: the finest whose ring spans it, else the
   * coarsest.
   */
  tierFor(windowMs: number): number {
    for (let t = 0; t < this.tiers.length; t++) {
      const tier = this.tiers[t] as RetentionTier;
      if (tier.resolutionMs * tier.points >= windowMs) return t;
    }
    return this.tiers.length - 1;
  }

  /**
   * Calls `point` for each sampled point of `slot` in tier `t` within the last `windowMs`,
   * oldest first, with the start of its interval and its fields.
   */
  read(
    slot: number,
    t: number,
    windowMs: number,
    point: (timestamp: number, fields: Float64Array) => void,
  ): void {
    const tier = this.tiers[t] as RetentionTier;
    const last = this.#lastInterval[t] as number;
    if (last < 0) return;
    const count = Math.min(tier.points, Math.ceil(windowMs / tier.resolutionMs));
    const base = slot * this.perSlot + (this.#offsets[t] as number);
    for (let j = last - count + 1; j <= last; j++) {
      if (j < 0) continue;
      const at = base + (j % tier.points) * this.fields;
      if (Number.isNaN(this.data[at])) continue;
      point(j * tier.resolutionMs, this.data.subarray(at, at + this.fields));
    }
  }

  #clearPoint(t: number, position: number): void {
    const offset = (this.#offsets[t] as number) + position * this.fields;
    for (let slot = 0; slot < this.#capacity; slot++) {
      const at = slot * this.perSlot + offset;
      this.data.fill(Number.NaN, at, at + this.fields);
    }
  }
}
