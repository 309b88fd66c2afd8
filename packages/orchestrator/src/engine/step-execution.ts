/**
 * Runs one claimed step: finds its handler, builds its context, runs it through middleware
 * with an `AbortSignal`, and classifies the result into an outcome for the store:
 *
 * - a returned value completes the step;
 * - `PermanentError` (by its brand, not `instanceof`) fails it with no retry;
 * - `RetryableError`, a timeout and any other error fail it retryably, with the backoff of
 *   the step (or the handler's `retryAfter`);
 * - a step whose lease was lost or that was cancelled while running yields no outcome: the
 *   store has moved on, and the fencing token would reject a write anyway.
 */
import type { EventError, EventRouter } from '@tasker/router';
import type { StepTemplate, TaskDefinition } from '../definitions/define-task';
import { coerceError, isPermanentError, isRetryableError, isTaskerError, TaskerError } from '../errors';
import type { HandlerMap, StepContext, StepHandler } from '../handlers/step-handler';
import type { ClaimedStep } from '../store/records';
import { jsonProblem, replaceUnstorable } from '../store/storable';
import type { StepOutcome } from '../store/task-store';
import { type BackoffPolicy, backoffDelay, mergeBackoff } from './backoff';
import { runWithMiddleware, type StepInfo, type StepMiddleware } from './middleware';

/** What a run needs from the engine. */
export interface ExecutionDeps {
  readonly findDefinition: (claim: ClaimedStep) => TaskDefinition | undefined;
  readonly handlers: HandlerMap;
  readonly middleware: readonly StepMiddleware[];
  readonly backoff: BackoffPolicy;
  readonly random: () => number;
  readonly router: EventRouter | undefined;
  readonly now: () => number;
}

/** Why a running step's signal fired. */
export type AbortKind = 'timeout' | 'lost' | 'shutdown';

export class StepAbort extends TaskerError {
  readonly kind: AbortKind;
  constructor(kind: AbortKind, message: string) {
    super(kind === 'timeout' ? 'STEP_TIMEOUT' : 'STEP_CANCELLED', message);
    this.name = kind === 'timeout' ? 'TimeoutError' : 'AbortError';
    this.kind = kind;
  }
}

function toEventError(error: Error): EventError {
  const name = replaceUnstorable(String(error.name));
  const message = replaceUnstorable(String(error.message));
  const raw = isPermanentError(error)
    ? error.errorCode
    : isTaskerError(error)
      ? error.code
      : typeof (error as { code?: unknown }).code === 'string'
        ? (error as unknown as { code: string }).code
        : undefined;
  const code = raw === undefined ? undefined : replaceUnstorable(raw);
  return code === undefined ? { name, message } : { name, message, code };
}

function resolveHandler(template: StepTemplate, handlers: HandlerMap): StepHandler | undefined {
  return typeof template.handler === 'function' ? template.handler : handlers[template.handler];
}

/**
 * Runs the step and returns its outcome, or undefined when the step was taken away from this
 * worker (lease lost, cancelled, shutdown past the deadline).
 */
export async function executeStep(
  claim: ClaimedStep,
  signal: AbortSignal,
  deps: ExecutionDeps,
  onStart: (info: StepInfo) => void,
): Promise<StepOutcome | undefined> {
  const definition = deps.findDefinition(claim);
  const template = definition?.steps.find((s) => s.name === claim.name);
  const handler = template === undefined ? undefined : resolveHandler(template, deps.handlers);
  const fail = (error: Error, retryable: boolean, retryAfterMs?: number): StepOutcome => {
    const policy = mergeBackoff(deps.backoff, definition?.backoff, template?.backoff);
    return {
      kind: 'fail',
      stepId: claim.id,
      token: claim.token,
      error: toEventError(error),
      retryable,
      delayMs: backoffDelay(policy, claim.attempt, deps.random, retryAfterMs),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  };
  if (template === undefined || handler === undefined) {
    const what =
      template === undefined
        ? `task ${claim.task.namespace}.${claim.task.name}@${claim.task.version} step "${claim.name}"`
        : `handler "${String(template.handler)}"`;
    return fail(new TaskerError('HANDLER_NOT_FOUND', `This worker does not know ${what}`), true);
  }
  const info: StepInfo = {
    taskId: claim.task.id,
    stepId: claim.id,
    stepName: claim.name,
    namespace: claim.task.namespace,
    taskName: claim.task.name,
    version: claim.task.version,
    attempt: claim.attempt,
    retryLimit: claim.retryLimit,
    traceContext: claim.task.traceContext,
    signal,
  };
  const declared = new Set(template.customEvents.map((e) => e.name));
  const ctx: StepContext = {
    taskId: claim.task.id,
    stepId: claim.id,
    stepName: claim.name,
    namespace: claim.task.namespace,
    taskName: claim.task.name,
    version: claim.task.version,
    context: claim.context,
    inputs: claim.inputs,
    results: Object.freeze({ ...claim.parentResults }),
    attempt: claim.attempt,
    signal,
    handlerConfig: template.handlerConfig,
    traceContext: claim.task.traceContext,
    emit(eventName, payload = {}) {
      if (!declared.has(eventName)) {
        throw new TaskerError(
          'DEFINITION_INVALID',
          `Step "${claim.name}" emitted "${eventName}", which its customEvents do not declare (declared: ${[...declared].join(', ') || 'none'})`,
        );
      }
      deps.router?.route(
        eventName,
        { ...payload, taskId: info.taskId, stepId: info.stepId, stepName: info.stepName } as never,
        deps.now(),
      );
    },
  };
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    onStart(info);
    const result = await Promise.race([
      runWithMiddleware(deps.middleware, info, async () => handler(ctx)),
      aborted,
    ]);
    if (signal.aborted) return abortedOutcome(signal, fail);
    // A result the store cannot hold fails the step for good (the handler would return it
    // again): the error names where in the result the value is.
    const unstorable = jsonProblem(result);
    if (unstorable !== undefined) {
      const where = `result${unstorable.path.slice(1)}`;
      return fail(new TaskerError('INPUT_INVALID', `${where}: ${unstorable.problem}`), false);
    }
    return {
      kind: 'complete',
      stepId: claim.id,
      token: claim.token,
      result: result === undefined ? null : result,
    };
  } catch (thrown) {
    if (signal.aborted) return abortedOutcome(signal, fail);
    const error = coerceError(thrown);
    if (isPermanentError(error)) return fail(error, false);
    if (isRetryableError(error)) return fail(error, true, error.retryAfter);
    return fail(error, true);
  }
}

function abortedOutcome(
  signal: AbortSignal,
  fail: (error: Error, retryable: boolean) => StepOutcome,
): StepOutcome | undefined {
  const reason = signal.reason;
  if (reason instanceof StepAbort && reason.kind === 'timeout') return fail(reason, true);
  return undefined;
}
