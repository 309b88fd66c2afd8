/**
 * Errors thrown by `@tasker/adapters`, each with a stable `code` and a `Symbol.for` brand, so
 * callers can branch on them across package copies (ESM next to CJS, and across subpaths, each
 * of which is its own bundle). Only configuration throws: a backend's `handle` never does.
 */

export type AdapterErrorCode = 'ADAPTER_OPTIONS_INVALID';

const ADAPTER_ERROR = Symbol.for('tasker.adapters.error');

/** Base class of every error thrown by this package. */
export class AdapterError extends Error {
  readonly code: AdapterErrorCode;
  readonly [ADAPTER_ERROR] = true;

  constructor(code: AdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterError';
    this.code = code;
  }
}

/** True for any error thrown by any copy of this package. */
export function isAdapterError(error: unknown): error is AdapterError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[ADAPTER_ERROR] === true
  );
}
