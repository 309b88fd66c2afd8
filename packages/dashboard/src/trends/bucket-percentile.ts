/**
 * A percentile from histogram buckets, as Prometheus' `histogram_quantile` estimates it: find the
 * bucket that holds the rank, and interpolate linearly inside it (from 0 for the first bucket).
 * A rank in the `+Inf` bucket gives the highest finite bound: the histogram knows no more.
 */

/**
 * The `q` quantile (0…1) of the observations counted in `cumulative` (cumulative counts, one
 * per bound of `bounds` then `+Inf`, read from `offset`), or null when there are none.
 */
export function bucketPercentile(
  q: number,
  bounds: readonly number[],
  cumulative: ArrayLike<number>,
  offset = 0,
): number | null {
  const total = cumulative[offset + bounds.length] as number;
  if (!(total > 0)) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const upTo = cumulative[offset + i] as number;
    if (upTo >= rank && upTo > below) {
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      const upper = bounds[i] as number;
      return lower + ((upper - lower) * (rank - below)) / (upTo - below);
    }
    below = upTo;
  }
  return bounds.length === 0 ? null : (bounds[bounds.length - 1] as number);
}
