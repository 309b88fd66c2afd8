/**
 * Errors thrown by `@tasker/router`. Each carries a stable `code`, so callers can branch on it
 * without `instanceof` (which fails when two copies of the package are loaded, ESM next to CJS).
 *
 * Only configuration and registration throw. Routing an event never throws.
 */

/** Stable codes of every error this package throws. */
export type RouterErrorCode =
  | 'EVENT_MAPPING_INVALID'
  | 'EVENT_DEFINITION_INVALID'
  | 'EVENT_NAME_RESERVED'
  | 'EVENT_DEFINITION_CONFLICT'
  | 'ROUTER_OPTIONS_INVALID';

const ROUTER_ERROR = Symbol.for('tasker.router.error');

/** Base class of every error thrown by `@tasker/router`. */
export class RouterError extends Error {
  readonly code: RouterErrorCode;
  readonly [ROUTER_ERROR] = true;

  constructor(code: RouterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RouterError';
    this.code = code;
  }
}

/** True for any error thrown by any copy of `@tasker/router`. */
export function isRouterError(error: unknown): error is RouterError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[ROUTER_ERROR] === true
  );
}
