/**
 * Retry backoff. The original Tasker waited `[1, 2, 4, 8, 16, 32]` seconds for attempts 1–6,
 * then `attempt²` seconds, capped at 300 s, with ±10 % jitter. A handler's `retryAfter` wins
 * over the computed delay but is still capped at the maximum. Every number is configurable per
 * engine (config `backoff`), per task and per step (`backoff` of the definition).
 */

/** Backoff settings; every field optional where it overrides a wider setting. */
export interface BackoffPolicy {
  /** Delay (ms) after failed attempt 1, 2, …; past the end, `attempt²` seconds. */
  readonly delaysMs: readonly number[];
  /** Upper bound of every delay, `retryAfter` included (ms). */
  readonly maxDelayMs: number;
  /** Relative jitter: 0.1 spreads each computed delay over ±10 %. */
  readonly jitter: number;
}

/** Per task or per step override of some backoff fields. */
export type BackoffOverride = Partial<BackoffPolicy>;

/** The original Tasker's backoff. */
export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  delaysMs: Object.freeze([1_000, 2_000, 4_000, 8_000, 16_000, 32_000]),
  maxDelayMs: 300_000,
  jitter: 0.1,
});

/** Applies overrides from the widest to the narrowest (engine → task → step). */
export function mergeBackoff(
  base: BackoffPolicy,
  ...overrides: (BackoffOverride | undefined)[]
): BackoffPolicy {
  let policy = base;
  for (const o of overrides) {
    if (o === undefined) continue;
    policy = {
      delaysMs: o.delaysMs ?? policy.delaysMs,
      maxDelayMs: o.maxDelayMs ?? policy.maxDelayMs,
      jitter: o.jitter ?? policy.jitter,
    };
  }
  return policy;
}

/**
 * The delay before the next attempt after `attempt` (1-based) failed.
 *
 * @param random returns a number in [0, 1); 0.5 means no jitter.
 * @param retryAfterMs the handler's own request, which replaces the computed delay (no jitter).
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(Math.round(retryAfterMs), policy.maxDelayMs);
  }
  const base = policy.delaysMs[attempt - 1] ?? attempt * attempt * 1_000;
  const capped = Math.min(base, policy.maxDelayMs);
  const spread = capped * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(Math.round(capped + spread), policy.maxDelayMs));
}
