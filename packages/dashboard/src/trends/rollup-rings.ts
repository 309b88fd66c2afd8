/**
 * Rollup rings: a bounded history of a fixed set of numbers ("fields"), kept at several
 * resolutions at once. Each tier is a ring of `points` points of `resolutionMs` each; one sample
 * updates the current point of every tier, so a coarse tier is the roll-up of the fine one
 * without a second pass.
 *
 * Points are aligned to the clock: point `j` of a tier covers `[j × resolution, (j + 1) ×
 * resolution)`. A field is either summed over the samples that land in a point (increments:
 * counts, durations covered) or holds the last sample's value (levels: a gauge). A point that no
 * sample reached holds NaN and reads as a gap. Intervals skipped since the last sample are
 * emptied as the ring moves on, so old points never reappear after a pause.
 *
 * Memory is `Σ points × fields × 8` bytes, allocated once: the rings never grow.
 */

/** One ring: `points` points of `resolutionMs` each (180 × 5 s: the last 15 minutes). */
export interface RollupTier {
  readonly resolutionMs: number;
  readonly points: number;
}

/** How a field of a point combines the samples that land in it. */
export type FieldMode = 'sum' | 'last';

/** One point read back: the start of its interval and its fields (a view: copy to keep). */
export type PointVisitor = (timestamp: number, fields: Float64Array | undefined) => void;

export class RollupRings {
  readonly tiers: readonly RollupTier[];
  readonly width: number;
  readonly #modes: readonly FieldMode[];
  readonly #rings: Float64Array[];
  /** The last interval index written, per tier; -1 before the first sample. */
  readonly #last: number[];

  constructor(tiers: readonly RollupTier[], modes: readonly FieldMode[]) {
    this.tiers = tiers;
    this.width = modes.length;
    this.#modes = modes;
    this.#rings = tiers.map((t) => new Float64Array(t.points * modes.length).fill(Number.NaN));
    this.#last = tiers.map(() => -1);
  }

  /** Bytes the rings hold: fixed from construction. */
  get bytes(): number {
    let total = 0;
    for (const ring of this.#rings) total += ring.byteLength;
    return total;
  }

  /**
   * Adds one sample taken at `now`: `values[i]` is added to field `i` of the current point of
   * every tier (or replaces it, for a `last` field). Returns false, writing nothing, when the
   * clock went back before the current point of a tier.
   */
  add(now: number, values: ArrayLike<number>): boolean {
    for (let t = 0; t < this.tiers.length; t++) {
      if (Math.floor(now / (this.tiers[t] as RollupTier).resolutionMs) < (this.#last[t] as number)) {
        return false;
      }
    }
    for (let t = 0; t < this.tiers.length; t++) {
      const at = this.#advance(t, now) * this.width;
      const ring = this.#rings[t] as Float64Array;
      for (let f = 0; f < this.width; f++) {
        const value = values[f] as number;
        const old = ring[at + f] as number;
        ring[at + f] = this.#modes[f] === 'last' || Number.isNaN(old) ? value : old + value;
      }
    }
    return true;
  }

  /** The tier that serves a window of `windowMs`: the finest whose ring spans it, else the coarsest. */
  tierFor(windowMs: number): number {
    for (let t = 0; t < this.tiers.length; t++) {
      const tier = this.tiers[t] as RollupTier;
      if (tier.resolutionMs * tier.points >= windowMs) return t;
    }
    return this.tiers.length - 1;
  }

  /**
   * Calls `visit` for every interval of tier `t` in the window of `windowMs` that ends with the
   * interval holding `now`, oldest first; `fields` is undefined for an interval without a sample.
   */
  read(t: number, windowMs: number, now: number, visit: PointVisitor): void {
    const tier = this.tiers[t] as RollupTier;
    const current = Math.floor(now / tier.resolutionMs);
    const last = this.#last[t] as number;
    const count = Math.min(tier.points, Math.ceil(windowMs / tier.resolutionMs));
    const ring = this.#rings[t] as Float64Array;
    for (let j = current - count + 1; j <= current; j++) {
      // Only intervals the ring still holds: not newer than the last sample, nor older than a lap.
      const held = last >= 0 && j <= last && j > last - tier.points && j >= 0;
      const at = (j % tier.points) * this.width;
      const fields =
        held && !Number.isNaN(ring[at] as number) ? ring.subarray(at, at + this.width) : undefined;
      visit(j * tier.resolutionMs, fields);
    }
  }

  /** Moves tier `t` to the interval of `now`, emptying the ones skipped; returns its position. */
  #advance(t: number, now: number): number {
    const tier = this.tiers[t] as RollupTier;
    const interval = Math.floor(now / tier.resolutionMs);
    const last = this.#last[t] as number;
    const ring = this.#rings[t] as Float64Array;
    if (interval > last) {
      // The new interval and every one skipped since the last sample, at most one lap.
      const from = last < 0 ? interval : Math.max(last + 1, interval - tier.points + 1);
      for (let j = from; j <= interval; j++) {
        const at = (j % tier.points) * this.width;
        ring.fill(Number.NaN, at, at + this.width);
      }
      this.#last[t] = interval;
    }
    return interval % tier.points;
  }
}
