/**
 * Errors of `@tasker/orchestrator`. Each carries a stable `code` and a `Symbol.for` brand, so
 * callers (and the engine itself) classify errors without `instanceof`, which fails when two
 * copies of the package are loaded (ESM next to CJS).
 *
 * Handlers throw {@link RetryableError} or {@link PermanentError}; any other error a handler
 * throws counts as retryable.
 */

/** Stable codes of every error the orchestrator throws. */
export type TaskerErrorCode =
  | 'DEFINITION_INVALID'
  | 'DEFINITION_CYCLE'
  | 'DEFINITION_DUPLICATE'
  | 'DEFINITION_NOT_FOUND'
  | 'HANDLER_NOT_FOUND'
  | 'CONTEXT_INVALID'
  | 'SUBMIT_INVALID'
  /** A value the store cannot hold (U+0000, a lone surrogate, JSON nested too deep), by field. */
  | 'INPUT_INVALID'
  | 'INVALID_TRANSITION'
  | 'TASK_NOT_FOUND'
  | 'STEP_NOT_FOUND'
  /** No schedule of that name (issue #14). */
  | 'SCHEDULE_NOT_FOUND'
  /** A schedule of that name exists already. */
  | 'SCHEDULE_EXISTS'
  /** A schedule's field is invalid (`field: reason`). */
  | 'SCHEDULE_INVALID'
  | 'CONFIG_INVALID'
  | 'STORE_ERROR'
  | 'TASKER_STOPPED'
  | 'WAIT_TIMEOUT'
  | 'RETRYABLE'
  | 'PERMANENT'
  | 'STEP_TIMEOUT'
  | 'STEP_CANCELLED';

const TASKER_ERROR = Symbol.for('tasker.orchestrator.error');
const RETRYABLE = Symbol.for('tasker.orchestrator.retryable');
const PERMANENT = Symbol.for('tasker.orchestrator.permanent');

/** Base class of every error thrown by `@tasker/orchestrator`. */
export class TaskerError extends Error {
  readonly code: TaskerErrorCode;
  readonly [TASKER_ERROR] = true;

  constructor(code: TaskerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskerError';
    this.code = code;
  }
}

/** True for any error thrown by any copy of `@tasker/orchestrator`. */
export function isTaskerError(error: unknown): error is TaskerError {
  return branded(error, TASKER_ERROR);
}

/** Options of {@link RetryableError}. */
export interface RetryableErrorOptions {
  /** Wait at least this long (ms) before the next attempt; capped at the backoff maximum. */
  readonly retryAfter?: number;
  readonly cause?: unknown;
}

/**
 * Thrown by a handler when the step may succeed later. The engine retries it with backoff until
 * its retry limit; `retryAfter` (ms) overrides the computed delay.
 *
 * @example
 * ```ts
 * throw new RetryableError('inventory service busy', { retryAfter: 5_000 });
 * ```
 */
export class RetryableError extends TaskerError {
  readonly retryAfter: number | undefined;
  readonly [RETRYABLE] = true;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super('RETRYABLE', message, { cause: options.cause });
    this.name = 'RetryableError';
    this.retryAfter = options.retryAfter;
  }
}

/** Options of {@link PermanentError}. */
export interface PermanentErrorOptions {
  /** A machine-readable reason, published in `step.failed` as `error.code`. */
  readonly code?: string;
  readonly cause?: unknown;
}

/**
 * Thrown by a handler when retrying cannot help (bad input, a refused payment). The step moves
 * to `error` at once and the task is finalised `error`.
 */
export class PermanentError extends TaskerError {
  readonly errorCode: string | undefined;
  readonly [PERMANENT] = true;

  constructor(message: string, options: PermanentErrorOptions = {}) {
    super('PERMANENT', message, { cause: options.cause });
    this.name = 'PermanentError';
    this.errorCode = options.code;
  }
}

/** True for a {@link RetryableError} from any copy of the package. */
export function isRetryableError(error: unknown): error is RetryableError {
  return branded(error, RETRYABLE);
}

/** True for a {@link PermanentError} from any copy of the package. */
export function isPermanentError(error: unknown): error is PermanentError {
  return branded(error, PERMANENT);
}

const BATCH_ITEM = Symbol.for('tasker.orchestrator.batch-item');
const SUBMIT_MANY = Symbol.for('tasker.orchestrator.submit-many');

/**
 * One item of a batch (`submitMany`, `TaskStore.createTasks`) was refused before anything of
 * the batch was written. It has the code of the item's own error (`CONTEXT_INVALID`,
 * `SUBMIT_INVALID`, `INPUT_INVALID`, `DEFINITION_NOT_FOUND`), which is its `cause`; the message
 * names the item (`requests[3]: …`) and then the field, as the item's own error does.
 */
export class BatchItemError extends TaskerError {
  /** The refused item's position in the batch, from 0. */
  readonly index: number;
  /** The item's own error. */
  declare readonly cause: TaskerError;
  readonly [BATCH_ITEM] = true;

  constructor(index: number, cause: TaskerError, list = 'requests') {
    super(cause.code, `${list}[${index}]: ${cause.message}`, { cause });
    this.name = 'BatchItemError';
    this.index = index;
  }
}

/** True for a {@link BatchItemError} from any copy of the package. */
export function isBatchItemError(error: unknown): error is BatchItemError {
  return branded(error, BATCH_ITEM);
}

/**
 * `submitMany` wrote some batches, then one failed (the database went away, say): `submitted`
 * holds the results of every request before `failedAt`, which are committed and whose events
 * were published; nothing from `failedAt` on was written. The database's error is the `cause`.
 * (When the first batch fails, nothing was written and that error is thrown as it is.)
 */
export class SubmitManyError extends TaskerError {
  /** The results of the requests that were written, in request order: requests 0 to failedAt − 1. */
  readonly submitted: readonly { readonly taskId: string; readonly created: boolean }[];
  /** The first request that was not written. */
  readonly failedAt: number;
  readonly [SUBMIT_MANY] = true;

  constructor(
    submitted: readonly { readonly taskId: string; readonly created: boolean }[],
    total: number,
    cause: unknown,
  ) {
    super(
      'STORE_ERROR',
      `submitMany: requests 0 to ${submitted.length - 1} of ${total} were submitted; requests ${submitted.length} to ${total - 1} were not, their batch failed (see cause)`,
      { cause },
    );
    this.name = 'SubmitManyError';
    this.submitted = submitted;
    this.failedAt = submitted.length;
  }
}

/** True for a {@link SubmitManyError} from any copy of the package. */
export function isSubmitManyError(error: unknown): error is SubmitManyError {
  return branded(error, SUBMIT_MANY);
}

/** Thrown when a state machine is asked for a transition its table does not allow. */
export class InvalidTransitionError extends TaskerError {
  readonly entity: 'task' | 'step';
  readonly from: string | null;
  readonly to: string;

  constructor(entity: 'task' | 'step', from: string | null, to: string, detail?: string) {
    super(
      'INVALID_TRANSITION',
      `Invalid ${entity} transition ${from ?? '(new)'} → ${to}${detail === undefined ? '' : `: ${detail}`}`,
    );
    this.name = 'InvalidTransitionError';
    this.entity = entity;
    this.from = from;
    this.to = to;
  }
}

/**
 * Turns anything thrown into an `Error` (the one place that coerces unknown throwables, as in
 * graphile-worker's `coerceError`).
 */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (
    typeof thrown === 'object' &&
    thrown !== null &&
    typeof (thrown as { message?: unknown }).message === 'string'
  ) {
    const error = new Error((thrown as { message: string }).message);
    const name = (thrown as { name?: unknown }).name;
    if (typeof name === 'string') error.name = name;
    return error;
  }
  return new Error(typeof thrown === 'string' ? thrown : `Non-error thrown: ${String(thrown)}`);
}

function branded(error: unknown, brand: symbol): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}
