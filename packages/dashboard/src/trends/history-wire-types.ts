/**
 * The wire types of `GET <prefix>/analytics/history`: types only, with no import, so that the
 * server (`history-wire.ts` fills them) and the browser page (`ui/trends-data.ts` reads them)
 * share one definition; the bundle erases the import.
 */

/** The ranges the page offers. */
export type TrendRange = '15m' | '1h' | '24h';

export type Column = (number | null)[];

export interface HistoryPoints {
  readonly time: number[];
  readonly tasks_per_s: Column;
  readonly steps_per_s: Column;
  readonly retries_per_s: Column;
  readonly step_error_rate: Column;
  readonly step_p50_ms: Column;
  readonly step_p95_ms: Column;
  readonly step_p99_ms: Column;
  readonly steps_in_progress: Column;
}

export interface HistoryTotals {
  readonly tasks_completed: number;
  readonly tasks_failed: number;
  readonly steps_completed: number;
  readonly steps_failed: number;
  readonly retries: number;
  readonly step_error_rate: number | null;
  readonly step_p50_ms: number | null;
  readonly step_p95_ms: number | null;
  readonly step_p99_ms: number | null;
}

/** The route's answer with a registry. */
export interface HistoryWire {
  readonly registry: true;
  readonly range: TrendRange;
  readonly generated_at: number;
  readonly window_ms: number;
  readonly resolution_ms: number;
  readonly sample_ms: number;
  /** The lifecycle metrics found in the registry, and those missing (no backend wired?). */
  readonly metrics: { readonly found: readonly string[]; readonly missing: readonly string[] };
  readonly sample_errors: number;
  readonly memory_bytes: number;
  readonly duration_buckets_seconds: readonly number[];
  readonly points: HistoryPoints;
  readonly totals: HistoryTotals;
}

/** The route's answer without one: the page then says how to give it. */
export interface NoHistoryWire {
  readonly registry: false;
}
