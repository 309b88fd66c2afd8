import type { TraceContext } from '@tasker/router';

/** What a step handler receives. */
export interface StepContext<Context = unknown> {
  readonly taskId: string;
  readonly stepId: string;
  readonly stepName: string;
  readonly namespace: string;
  readonly taskName: string;
  readonly version: string;
  /** The task context, as submitted (validated against the definition's schema). */
  readonly context: Context;
  /** The step's inputs: the task context unless `updateStep` changed them. */
  readonly inputs: unknown;
  /**
   * Results of the step's parents, by step name. A skipped parent has no entry; a parent
   * resolved manually has the result given to `resolveStepManually`, if any.
   */
  readonly results: Readonly<Record<string, unknown>>;
  /** 1 for the first run, 2 for the first retry, … */
  readonly attempt: number;
  /** Fires when the step times out, is cancelled, or the engine stops past its deadline. */
  readonly signal: AbortSignal;
  /** The step template's `handlerConfig`. */
  readonly handlerConfig: Readonly<Record<string, unknown>>;
  /** The task's opaque trace-propagation record, if any. */
  readonly traceContext: TraceContext | undefined;
  /**
   * Publishes a custom event declared by the step template (`customEvents`) through the router.
   *
   * @throws TaskerError `DEFINITION_INVALID` for an event the step did not declare.
   */
  emit(eventName: string, payload?: Readonly<Record<string, unknown>>): void;
}

/**
 * A step handler: returns the step's result (any JSON value), or throws. Throw
 * `RetryableError` (optionally with `retryAfter`) or `PermanentError`; any other error is
 * retryable.
 */
export type StepHandler<Context = unknown> = (ctx: StepContext<Context>) => unknown;

/** Handler name → handler; how YAML/JSON definitions (and string `handler`s) find their code. */
export type HandlerMap = Readonly<Record<string, StepHandler>>;
