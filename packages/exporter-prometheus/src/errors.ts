/**
 * Errors thrown by `@tasker/exporter-prometheus`, each with a stable `code` and a
 * `Symbol.for` brand, so callers can branch on them across package copies (ESM next to CJS).
 */

export type ExporterErrorCode =
  | 'EXPORTER_OPTIONS_INVALID'
  | 'PUSHGATEWAY_REJECTED'
  | 'PUSHGATEWAY_UNAVAILABLE'
  | 'PUSHGATEWAY_TIMEOUT';

const EXPORTER_ERROR = Symbol.for('tasker.exporter-prometheus.error');

/** Base class of every error thrown by this package. */
export class ExporterError extends Error {
  readonly code: ExporterErrorCode;
  /** The HTTP status, for Pushgateway errors that got an answer. */
  readonly status: number | undefined;
  readonly [EXPORTER_ERROR] = true;

  constructor(code: ExporterErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'ExporterError';
    this.code = code;
    this.status = options?.status;
  }
}

/** True for any error thrown by any copy of this package. */
export function isExporterError(error: unknown): error is ExporterError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[EXPORTER_ERROR] === true
  );
}
