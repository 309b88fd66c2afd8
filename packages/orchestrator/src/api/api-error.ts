/**
 * The REST layer's own errors. Each has a stable `code`; its HTTP status comes from the one
 * table in `./problem.ts`, which also maps the engine's domain errors.
 */

/** Codes of errors the REST layer raises itself. */
export type ApiErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHENTICATED'
  | 'INVALID_TOKEN'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNKNOWN_TASK'
  | 'IDENTITY_KEY_TAKEN'
  | 'NOT_READY'
  | 'DOCS_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** One field's problem in a validation error. */
export interface FieldError {
  /** A dotted path: `context.order_id`, `limit`, `tags.2`, or `(root)`. */
  readonly field: string;
  readonly message: string;
}

const API_ERROR = Symbol.for('tasker.orchestrator.api-error');

/** An error the REST layer turns into a problem response with its status. */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly errors: readonly FieldError[];
  /** Extra response headers (`Allow`, `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly [API_ERROR] = true;

  constructor(
    code: ApiErrorCode,
    message: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
  }
}

/** True for an {@link ApiError} from any copy of the package. */
export function isApiError(error: unknown): error is ApiError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[API_ERROR] === true
  );
}
