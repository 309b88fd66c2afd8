/**
 * The trends' history: every `sampleMs` (5 s), a `collect()` of the metrics-native registry, the
 * increments of the Tasker lifecycle metrics since the collect before (see snapshot-deltas.ts),
 * added to rollup rings (see rollup-rings.ts) at three resolutions, one per range the page shows:
 *
 * | range  | point  | points |
 * | ------ | ------ | ------ |
 * | 15 min | 5 s    | 180    |
 * | 1 h    | 30 s   | 120    |
 * | 24 h   | 5 min  | 288    |
 *
 * A read samples first, so the page sees the latest increments without waiting for the timer
 * (a collect costs about what a Prometheus scrape of the same registry does). The timer is unref'd (it never keeps a process
 * alive) and `stop()` clears it. A collect that throws is counted and skipped: the timer never
 * leaks a rejection.
 */

import type { TrendRange } from './history-wire-types';
import { type FieldMode, RollupRings, type RollupTier } from './rollup-rings';
import { FIELD, SnapshotDeltas, type SnapshotShape } from './snapshot-deltas';

/** What the history needs of a registry: `collect()`, as `@tasker/metrics-native`'s has. */
export interface TrendsRegistry {
  collect(): SnapshotShape;
}

const MINUTE = 60_000;

/** The ranges the page offers, and their widths. */
export const TREND_RANGES: Readonly<Record<TrendRange, number>> = Object.freeze({
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '24h': 24 * 60 * MINUTE,
});
export type { TrendRange };

/** One tier per range: 180 × 5 s, 120 × 30 s, 288 × 5 min. */
export const TREND_TIERS: readonly RollupTier[] = Object.freeze([
  Object.freeze({ resolutionMs: 5_000, points: 180 }),
  Object.freeze({ resolutionMs: 30_000, points: 120 }),
  Object.freeze({ resolutionMs: 300_000, points: 288 }),
]);

/** Options of {@link MetricsHistory}. */
export interface MetricsHistoryOptions {
  readonly registry: TrendsRegistry;
  /** The clock, epoch milliseconds. */
  readonly now: () => number;
  readonly tiers?: readonly RollupTier[];
  /** Between two timer samples. Default: the finest tier's resolution. */
  readonly sampleMs?: number;
}

/** A read of the history: the tier that served it, and the rings to visit. */
export interface HistoryRead {
  readonly rings: RollupRings | undefined;
  readonly tier: number;
  readonly bounds: readonly number[];
  readonly found: readonly string[];
  readonly sampleMs: number;
  readonly sampleErrors: number;
  readonly now: number;
}

export class MetricsHistory {
  readonly #registry: TrendsRegistry;
  readonly #now: () => number;
  readonly #tiers: readonly RollupTier[];
  readonly sampleMs: number;
  #deltas: SnapshotDeltas | undefined;
  #rings: RollupRings | undefined;
  #sample: Float64Array = new Float64Array(0);
  #lastAt: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #errors = 0;
  #found: readonly string[] = [];

  constructor(options: MetricsHistoryOptions) {
    this.#registry = options.registry;
    this.#now = options.now;
    this.#tiers = options.tiers ?? TREND_TIERS;
    this.sampleMs = options.sampleMs ?? (this.#tiers[0] as RollupTier).resolutionMs;
  }

  /** Bytes the rings hold (fixed once the first sample has seen the histogram's buckets). */
  get bytes(): number {
    return this.#rings?.bytes ?? 0;
  }

  /** Samples now, then every `sampleMs` until {@link stop}. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.sampleMs);
    this.#timer.unref?.();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Collects the registry and adds what changed to the rings. Returns false when nothing was added. */
  sample(): boolean {
    let snapshot: SnapshotShape;
    try {
      snapshot = this.#registry.collect();
    } catch {
      this.#errors++;
      return false;
    }
    const now = this.#now();
    const bounds = SnapshotDeltas.boundsOf(snapshot);
    this.#found = SnapshotDeltas.foundIn(snapshot);
    if (this.#deltas === undefined || !sameBounds(this.#deltas.bounds, bounds)) {
      // New buckets (the histogram appeared, or was made again with others): the points before
      // do not fit the new layout, so the history starts again.
      const deltas = new SnapshotDeltas(bounds);
      this.#deltas = deltas;
      this.#rings = new RollupRings(this.#tiers, modes(deltas.width));
      this.#sample = new Float64Array(deltas.width);
      this.#lastAt = undefined;
    }
    if (this.#lastAt !== undefined && now < this.#lastAt) return false;
    const covered = this.#lastAt === undefined ? 0 : now - this.#lastAt;
    this.#deltas.take(snapshot, covered, this.#sample);
    this.#lastAt = now;
    return (this.#rings as RollupRings).add(now, this.#sample);
  }

  /** The history over `windowMs`, after a sample. */
  read(windowMs: number): HistoryRead {
    this.sample();
    const now = this.#now();
    const rings = this.#rings;
    return {
      rings,
      tier: rings === undefined ? 0 : rings.tierFor(windowMs),
      bounds: this.#deltas?.bounds ?? [],
      found: this.#found,
      sampleMs: this.sampleMs,
      sampleErrors: this.#errors,
      now,
    };
  }
}

function modes(width: number): FieldMode[] {
  const out = new Array<FieldMode>(width).fill('sum');
  out[FIELD.inProgress] = 'last';
  return out;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
