/**
 * Retention policies: how much rolled-up history an instrument keeps. A policy is a list of
 * tiers, finest first; each tier is a ring of `points` slots of `resolutionMs` each. The ring
 * never grows, so the memory of a policy is known when the instrument is made.
 */

/** One ring of history: `points` values, one per `resolutionMs` interval. */
export interface RetentionTier {
  /** Width of one point, in milliseconds (60 000: one point per minute). */
  readonly resolutionMs: number;
  /** How many points the ring holds (60 at one minute: the last hour). */
  readonly points: number;
}

/** Per-minute values for the last hour, and per-hour values for the last day. */
export const DEFAULT_RETENTION: readonly RetentionTier[] = Object.freeze([
  Object.freeze({ resolutionMs: 60_000, points: 60 }),
  Object.freeze({ resolutionMs: 3_600_000, points: 24 }),
]);

/** The most points one tier may hold. */
export const MAX_RETENTION_POINTS = 100_000;

/** Points kept per series, over every tier. */
export function pointsPerSeries(tiers: readonly RetentionTier[]): number {
  let total = 0;
  for (const tier of tiers) total += tier.points;
  return total;
}
