/**
 * Turns committed changes into catalog events, published through the router exactly once per
 * transition and only after the transaction committed (the store hands out a change only after
 * its commit succeeded; a retried transaction rebuilt it from scratch). The table of which
 * transition publishes which events is in the package README and mirrored here.
 *
 * | transition                         | events (after `*.before_transition { fromState, toState }`)                                   |
 * | ---------------------------------- | --------------------------------------------------------------------------------------------- |
 * | task (new) → pending               | `task.initialize_requested`                                                                   |
 * | task pending → in_progress         | `task.start_requested`, `workflow.task_started`, `observability.task.enqueue`                 |
 * | task in_progress → complete        | `task.completed`, `workflow.task_completed`, `observability.task.finalize`                    |
 * | task in_progress → error           | `task.failed`, `workflow.task_failed`, `observability.task.finalize`                          |
 * | task error → in_progress           | `task.retry_requested`                                                                        |
 * | task → cancelled                   | `task.cancelled`                                                                              |
 * | task error → resolved_manually     | `task.resolved_manually`                                                                      |
 * | step (new) → pending               | `step.initialize_requested`                                                                   |
 * | step pending → skipped             | `observability.step.skip`                                                                     |
 * | step → in_progress (claim)         | `step.execution_requested`, `step.before_handle`                                              |
 * | step in_progress → complete        | `step.completed`, `workflow.step_completed`                                                   |
 * | step in_progress → waiting_for_retry | `step.failed` (retryable), `step.retry_requested`, `observability.step.backoff`             |
 * | step in_progress → error           | `step.failed`, `workflow.step_failed`, and `observability.step.max_retries_reached` if exhausted |
 * | step error → pending (retryStep)   | `step.retry_requested`                                                                        |
 * | step → cancelled                   | `step.cancelled`                                                                              |
 * | step → resolved_manually           | `step.resolved_manually`                                                                      |
 * | step in_progress → pending (lease expired) | `step.before_transition` only                                                         |
 * | steps became ready                 | `workflow.viable_steps_discovered`                                                            |
 */
import {
  type EventRouter,
  ObservabilityEvents,
  type StepEventPayload,
  StepEvents,
  type TaskEventPayload,
  TaskEvents,
  WorkflowEvents,
} from '@tasker/router';
import type { Change, StepTransitionRecord, TaskInfo, TaskTransitionRecord } from '../store/records';

// Payloads are built with every field written out, and extended with `extend()` rather than
// `{ ...base, field }`: on Node 20's V8, a spread followed by more properties costs about
// 1.5 µs per object (a clone whose map then transitions on each added field), against 0.1 µs
// for Object.assign. With ten events a step that was 12 µs per step, more than the routing
// itself (measured with bench/adapters-overhead.bench.ts and a micro-benchmark of publish()).

/** `base` with `extra`'s fields added: a new object, as `{ ...base, ...extra }`, but fast. */
function extend<B extends object, E extends object>(base: B, extra: E): B & E {
  return Object.assign({}, base, extra);
}

function taskPayload(task: TaskInfo): TaskEventPayload {
  return {
    taskId: task.id,
    namespace: task.namespace,
    taskName: task.name,
    version: task.version,
    traceContext: task.traceContext,
  };
}

/** The payload fields of a step event. */
export function stepPayload(
  r: Pick<StepTransitionRecord, 'task' | 'stepId' | 'stepName' | 'attempt' | 'retryLimit'>,
): StepEventPayload {
  const task = r.task;
  return {
    taskId: task.id,
    namespace: task.namespace,
    taskName: task.name,
    version: task.version,
    traceContext: task.traceContext,
    stepId: r.stepId,
    stepName: r.stepName,
    attempt: r.attempt,
    retryLimit: r.retryLimit,
  };
}

/** `reason` and `actor` of a manual transition, when it has them. */
function manualOf<P extends object>(base: P, t: { reason?: string; actor?: string }): P {
  return extend(base, { reason: t.reason, actor: t.actor });
}

/** The timing fields of a step attempt that ended at `at`. */
function timedOf(base: StepEventPayload, t: StepTransitionRecord, at: number): StepEventPayload {
  return t.startedAt === undefined
    ? base
    : extend(base, { startedAt: t.startedAt, endedAt: at, durationMs: at - t.startedAt });
}

/** Publishes the events of committed changes. A missing router makes it a no-op. */
export class EventPublisher {
  readonly #router: EventRouter | undefined;

  constructor(router: EventRouter | undefined) {
    this.#router = router;
  }

  get enabled(): boolean {
    return this.#router !== undefined;
  }

  /** Publishes every event of a committed change, in its order. */
  publish(change: Change): void {
    if (this.#router === undefined) return;
    for (const t of change.transitions) {
      if (t.kind === 'task') this.#task(this.#router, t);
      else this.#step(this.#router, t);
    }
    for (const ready of change.ready) {
      this.#router.route(
        WorkflowEvents.VIABLE_STEPS_DISCOVERED,
        extend(taskPayload(ready.task), {
          stepIds: ready.stepIds,
          stepNames: ready.stepNames,
          count: ready.stepIds.length,
        }),
        change.transitions[0]?.at,
      );
    }
  }

  /** `step.handle` and `observability.step.handle`: a handler is being invoked. */
  handling(
    r: Pick<StepTransitionRecord, 'task' | 'stepId' | 'stepName' | 'attempt' | 'retryLimit'>,
    at: number,
  ): void {
    if (this.#router === undefined) return;
    const p = extend(stepPayload(r), { startedAt: at });
    this.#router.route(StepEvents.HANDLE, p, at);
    this.#router.route(ObservabilityEvents.STEP_HANDLE, p, at);
  }

  #task(router: EventRouter, t: TaskTransitionRecord): void {
    const base = taskPayload(t.task);
    const at = t.at;
    router.route(TaskEvents.BEFORE_TRANSITION, extend(base, { fromState: t.from, toState: t.to }), at);
    if (t.from === null) router.route(TaskEvents.INITIALIZE_REQUESTED, extend(base, { requestedAt: at }), at);
    else if (t.to === 'in_progress' && t.from === 'pending') {
      router.route(TaskEvents.START_REQUESTED, extend(base, { startedAt: at }), at);
      router.route(WorkflowEvents.TASK_STARTED, extend(base, { startedAt: at }), at);
      router.route(ObservabilityEvents.TASK_ENQUEUE, extend(base, { requestedAt: at }), at);
    } else if (t.to === 'in_progress' && t.from === 'error') {
      router.route(TaskEvents.RETRY_REQUESTED, manualOf(base, t), at);
    } else if (t.to === 'complete') {
      const ended = extend(base, {
        startedAt: t.task.createdAt,
        endedAt: at,
        durationMs: at - t.task.createdAt,
      });
      router.route(TaskEvents.COMPLETED, ended, at);
      router.route(WorkflowEvents.TASK_COMPLETED, ended, at);
      router.route(ObservabilityEvents.TASK_FINALIZE, extend(ended, { status: 'complete' }), at);
    } else if (t.to === 'error') {
      const ended = extend(base, {
        startedAt: t.task.createdAt,
        endedAt: at,
        durationMs: at - t.task.createdAt,
      });
      const error = t.error ?? { name: 'Error', message: 'a step failed' };
      router.route(TaskEvents.FAILED, extend(ended, { error }), at);
      router.route(WorkflowEvents.TASK_FAILED, extend(ended, { error }), at);
      router.route(ObservabilityEvents.TASK_FINALIZE, extend(ended, { status: 'error', error }), at);
    } else if (t.to === 'cancelled') router.route(TaskEvents.CANCELLED, manualOf(base, t), at);
    else if (t.to === 'resolved_manually') router.route(TaskEvents.RESOLVED_MANUALLY, manualOf(base, t), at);
  }

  #step(router: EventRouter, t: StepTransitionRecord): void {
    const base = stepPayload(t);
    const at = t.at;
    router.route(StepEvents.BEFORE_TRANSITION, extend(base, { fromState: t.from, toState: t.to }), at);
    switch (t.to) {
      case 'pending':
        if (t.from === null)
          router.route(StepEvents.INITIALIZE_REQUESTED, extend(base, { requestedAt: at }), at);
        else if (t.from === 'error') {
          router.route(StepEvents.RETRY_REQUESTED, extend(base, { backoffMs: 0, nextAttemptAt: at }), at);
        }
        return;
      case 'skipped':
        router.route(ObservabilityEvents.STEP_SKIP, extend(base, { reason: t.reason ?? 'bypassed' }), at);
        return;
      case 'in_progress':
        router.route(StepEvents.EXECUTION_REQUESTED, extend(base, { requestedAt: at }), at);
        router.route(StepEvents.BEFORE_HANDLE, extend(base, { startedAt: at }), at);
        return;
      case 'complete': {
        const timed = timedOf(base, t, at);
        router.route(StepEvents.COMPLETED, timed, at);
        router.route(WorkflowEvents.STEP_COMPLETED, timed, at);
        return;
      }
      case 'waiting_for_retry': {
        const timed = timedOf(base, t, at);
        const error = t.error ?? { name: 'Error', message: 'failed' };
        const backoffMs = t.backoffMs ?? 0;
        const nextAttemptAt = t.nextAttemptAt ?? at;
        router.route(StepEvents.FAILED, extend(timed, { error, retryable: true }), at);
        router.route(StepEvents.RETRY_REQUESTED, extend(base, { backoffMs, nextAttemptAt, error }), at);
        router.route(
          ObservabilityEvents.STEP_BACKOFF,
          extend(base, { backoffMs, nextAttemptAt, retryAfterMs: t.retryAfterMs }),
          at,
        );
        return;
      }
      case 'error': {
        const timed = timedOf(base, t, at);
        const error = t.error ?? { name: 'Error', message: 'failed' };
        router.route(StepEvents.FAILED, extend(timed, { error, retryable: false }), at);
        router.route(WorkflowEvents.STEP_FAILED, extend(timed, { error, retryable: false }), at);
        if (t.exhausted === true)
          router.route(ObservabilityEvents.STEP_MAX_RETRIES_REACHED, extend(base, { error }), at);
        return;
      }
      case 'cancelled':
        router.route(StepEvents.CANCELLED, manualOf(base, t), at);
        return;
      case 'resolved_manually':
        router.route(StepEvents.RESOLVED_MANUALLY, manualOf(base, t), at);
        return;
    }
  }
}
