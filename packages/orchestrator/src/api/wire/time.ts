/** Epoch milliseconds ↔ the API's ISO 8601 times. */

/** An ISO 8601 time. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** An ISO 8601 time, or null when absent. */
export const isoOrNull = (ms: number | undefined | null): string | null =>
  ms === undefined || ms === null ? null : iso(ms);
