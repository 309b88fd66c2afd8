import type { TraceContext } from '@tasker/router';

/** What middleware learns about the handler call it wraps. */
export interface StepInfo {
  readonly taskId: string;
  readonly stepId: string;
  readonly stepName: string;
  readonly namespace: string;
  readonly taskName: string;
  readonly version: string;
  readonly attempt: number;
  readonly retryLimit: number;
  /** The opaque propagation record stored with the task at submit (#2's `traceContext`). */
  readonly traceContext: TraceContext | undefined;
  /**
   * The attempt's signal (the handler's `ctx.signal`): it fires when the attempt times out, its
   * lease is lost or the worker stops, while `run()` may still be pending. Tracing middleware
   * ends the attempt's span then.
   */
  readonly signal: AbortSignal;
}

/**
 * Wraps every handler call: call `run()` to run the handler (and the middleware inside this
 * one) and return its result; throw to fail the attempt. The first middleware is outermost.
 *
 * @example
 * ```ts
 * const timing: StepMiddleware = async (step, run) => {
 *   const started = performance.now();
 *   try { return await run(); } finally { console.log(step.stepName, performance.now() - started); }
 * };
 * ```
 */
export type StepMiddleware = (step: StepInfo, run: () => Promise<unknown>) => Promise<unknown>;

/** `m` around `inner`, as the `run` of the middleware outside it. */
function around(m: StepMiddleware, info: StepInfo, inner: () => Promise<unknown>): () => Promise<unknown> {
  return () => m(info, inner);
}

/**
 * Composes middleware around `handler` once per call. The innermost middleware gets `handler`
 * itself, so one middleware (a tracing middleware alone) costs no closure per call.
 */
export function runWithMiddleware(
  middleware: readonly StepMiddleware[],
  info: StepInfo,
  handler: () => Promise<unknown>,
): Promise<unknown> {
  const last = middleware.length - 1;
  if (last < 0) return handler();
  let next = handler;
  for (let i = last; i > 0; i--) next = around(middleware[i] as StepMiddleware, info, next);
  return (middleware[0] as StepMiddleware)(info, next);
}
