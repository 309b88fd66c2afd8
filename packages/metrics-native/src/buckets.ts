/** Histogram bucket boundaries: default, helpers, and the rules they follow. */

/**
 * The default upper bounds, in seconds, suited to request latencies. `+Inf` is always added as
 * the last bucket and is not listed.
 */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * `count` bounds starting at `start`, `width` apart.
 *
 * @example
 * ```ts
 * linearBuckets(0.1, 0.1, 5); // [0.1, 0.2, 0.3, 0.4, 0.5] (as floating-point sums)
 * ```
 */
export function linearBuckets(start: number, width: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(start + i * width);
  return out;
}

/**
 * `count` bounds starting at `start`, each `factor` times the last.
 *
 * @example
 * ```ts
 * exponentialBuckets(0.001, 10, 4); // [0.001, 0.01, 0.1, 1] (as floating-point products)
 * ```
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  let bound = start;
  for (let i = 0; i < count; i++) {
    out.push(bound);
    bound *= factor;
  }
  return out;
}

/**
 * Why `buckets` cannot be a histogram's bounds, or undefined when they can: at least one
 * bound, every bound a finite number, strictly increasing. A trailing `Infinity` is allowed and
 * ignored (the `+Inf` bucket always exists).
 */
export function bucketsProblem(buckets: readonly number[]): string | undefined {
  const bounds = finiteBounds(buckets);
  if (bounds.length === 0) return 'expected at least one finite bucket bound (the +Inf bucket is added)';
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i] as number;
    if (!Number.isFinite(bound)) {
      return `buckets[${i}]: expected a finite number, received ${String(bound)}`;
    }
    if (i > 0 && !(bound > (bounds[i - 1] as number))) {
      return `buckets[${i}]: expected a bound greater than buckets[${i - 1}] (${bounds[i - 1]}), received ${bound}`;
    }
  }
  return undefined;
}

/** The bounds without a trailing `Infinity`. */
export function finiteBounds(buckets: readonly number[]): readonly number[] {
  return buckets.length > 0 && buckets[buckets.length - 1] === Number.POSITIVE_INFINITY
    ? buckets.slice(0, -1)
    : buckets;
}
