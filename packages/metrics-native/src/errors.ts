/**
 * Errors thrown by `@tasker/metrics-native`. Each carries a stable `code`, so callers can branch
 * on it without `instanceof` (which fails when two copies of the package are loaded, ESM next to
 * CJS).
 *
 * Only configuration, registration, history queries and `collectInSlices` options throw. Updating a metric (`inc`, `set`,
 * `observe`, `labels`) never throws: bad values are dropped, counted and warned about once.
 */

/** Stable codes of every error this package throws. */
export type MetricsErrorCode =
  | 'REGISTRY_OPTIONS_INVALID'
  | 'METRIC_OPTIONS_INVALID'
  | 'METRIC_CONFLICT'
  | 'METRIC_NOT_FOUND'
  | 'HISTORY_QUERY_INVALID'
  | 'PROCESS_METRICS_RUNNING'
  | 'COLLECT_OPTIONS_INVALID'
  | 'CLUSTER_OPTIONS_INVALID'
  | 'CLUSTER_NO_IPC'
  | 'SHARED_REGISTRY_FULL';

const METRICS_ERROR = Symbol.for('tasker.metrics-native.error');

/** Base class of every error thrown by `@tasker/metrics-native`. */
export class MetricsError extends Error {
  readonly code: MetricsErrorCode;
  readonly [METRICS_ERROR] = true;

  constructor(code: MetricsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetricsError';
    this.code = code;
  }
}

/** True for any error thrown by any copy of `@tasker/metrics-native`. */
export function isMetricsError(error: unknown): error is MetricsError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[METRICS_ERROR] === true
  );
}
