/**
 * Turns committed changes into catalog events, published through the router once per
 * transition and only after the transaction committed (the store hands out a change only after
 * its commit succeeded; a retried transaction rebuilt it from scratch). If the process dies
 * between a commit and its publish, another process republishes the transitions from the audit
 * (`republish`): delivery is exactly once without a crash, at least once across one. Every
 * event of a transition carries the id `<transition id>.<n>` (n counts the transition's events
 * from 0, in the order below), the same in every process, so a backend can drop a repeat. The
 * table of which transition publishes which events is in the package README and mirrored here.
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
  type EventError,
  type EventRouter,
  ObservabilityEvents,
  type StepEventPayload,
  StepEvents,
  type TaskEventPayload,
  TaskEvents,
  WorkflowEvents,
} from '@tasker/router';
import type { StepState } from '../states/step-states';
import type { TaskState } from '../states/task-states';
import {
  type Change,
  num,
  optNum,
  type ReadySteps,
  type StepTransitionRecord,
  type TaskInfo,
  type TaskTransitionRecord,
  type TransitionRecord,
} from '../store/records';

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

/** `<transition id>.`, the prefix of its events' ids, or undefined (the router makes ids). */
function idPrefix(transitionId: number | undefined): string | undefined {
  return transitionId === undefined ? undefined : `${transitionId}.`;
}

/** The id of a transition's `n`-th event. */
function eid(prefix: string | undefined, n: number): string | undefined {
  return prefix === undefined ? undefined : prefix + n;
}

/**
 * Where the publisher sends events: a router, or anything that takes `route` calls (the live
 * event feed collects them to write them to a stream).
 */
export type EventSink = Pick<EventRouter, 'route'>;

/** Publishes the events of committed changes. A missing router makes it a no-op. */
export class EventPublisher {
  readonly #router: EventSink | undefined;

  constructor(router: EventSink | undefined) {
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
    const first = change.transitions[0];
    const readyPrefix = first?.id === undefined ? undefined : `${first.id}.ready.`;
    for (let i = 0; i < change.ready.length; i++) {
      const ready = change.ready[i] as ReadySteps;
      this.#router.route(
        WorkflowEvents.VIABLE_STEPS_DISCOVERED,
        extend(taskPayload(ready.task), {
          stepIds: ready.stepIds,
          stepNames: ready.stepNames,
          count: ready.stepIds.length,
        }),
        first?.at,
        eid(readyPrefix, i),
      );
    }
  }

  /**
   * `step.handle` and `observability.step.handle`: a handler is being invoked, in the attempt
   * claimed by transition `claimId` (their ids are `<claimId>.handle.0` and `.1`).
   */
  handling(
    r: Pick<StepTransitionRecord, 'task' | 'stepId' | 'stepName' | 'attempt' | 'retryLimit'>,
    at: number,
    claimId?: number,
  ): void {
    if (this.#router === undefined) return;
    const p = extend(stepPayload(r), { startedAt: at });
    const prefix = claimId === undefined ? undefined : `${claimId}.handle.`;
    this.#router.route(StepEvents.HANDLE, p, at, eid(prefix, 0));
    this.#router.route(ObservabilityEvents.STEP_HANDLE, p, at, eid(prefix, 1));
  }

  /**
   * Republishes the events of transitions that a process which died had committed but maybe
   * not published (rows of the store's `unpublishedTransitions`), with the same ids. The
   * fields come from the audit row and the task and step as they are now: a step retried since
   * reports its current retry limit, and `startedAt` only when it still belongs to that
   * attempt. `workflow.viable_steps_discovered` and `step.handle` are not recovered (they are
   * not transitions).
   */
  republish(rows: readonly Record<string, unknown>[]): void {
    if (this.#router === undefined || rows.length === 0) return;
    const transitions = rows.map(transitionFromAudit);
    this.publish({ transitions, ready: [] });
  }

  #task(router: EventSink, t: TaskTransitionRecord): void {
    const e = idPrefix(t.id);
    const base = taskPayload(t.task);
    const at = t.at;
    router.route(
      TaskEvents.BEFORE_TRANSITION,
      extend(base, { fromState: t.from, toState: t.to }),
      at,
      eid(e, 0),
    );
    if (t.from === null)
      router.route(TaskEvents.INITIALIZE_REQUESTED, extend(base, { requestedAt: at }), at, eid(e, 1));
    else if (t.to === 'in_progress' && t.from === 'pending') {
      router.route(TaskEvents.START_REQUESTED, extend(base, { startedAt: at }), at, eid(e, 1));
      router.route(WorkflowEvents.TASK_STARTED, extend(base, { startedAt: at }), at, eid(e, 2));
      router.route(ObservabilityEvents.TASK_ENQUEUE, extend(base, { requestedAt: at }), at, eid(e, 3));
    } else if (t.to === 'in_progress' && t.from === 'error') {
      router.route(TaskEvents.RETRY_REQUESTED, manualOf(base, t), at, eid(e, 1));
    } else if (t.to === 'complete') {
      const ended = extend(base, {
        startedAt: t.task.createdAt,
        endedAt: at,
        durationMs: at - t.task.createdAt,
      });
      router.route(TaskEvents.COMPLETED, ended, at, eid(e, 1));
      router.route(WorkflowEvents.TASK_COMPLETED, ended, at, eid(e, 2));
      router.route(ObservabilityEvents.TASK_FINALIZE, extend(ended, { status: 'complete' }), at, eid(e, 3));
    } else if (t.to === 'error') {
      const ended = extend(base, {
        startedAt: t.task.createdAt,
        endedAt: at,
        durationMs: at - t.task.createdAt,
      });
      const error = t.error ?? { name: 'Error', message: 'a step failed' };
      router.route(TaskEvents.FAILED, extend(ended, { error }), at, eid(e, 1));
      router.route(WorkflowEvents.TASK_FAILED, extend(ended, { error }), at, eid(e, 2));
      router.route(
        ObservabilityEvents.TASK_FINALIZE,
        extend(ended, { status: 'error', error }),
        at,
        eid(e, 3),
      );
    } else if (t.to === 'cancelled') router.route(TaskEvents.CANCELLED, manualOf(base, t), at, eid(e, 1));
    else if (t.to === 'resolved_manually')
      router.route(TaskEvents.RESOLVED_MANUALLY, manualOf(base, t), at, eid(e, 1));
  }

  #step(router: EventSink, t: StepTransitionRecord): void {
    const e = idPrefix(t.id);
    const base = stepPayload(t);
    const at = t.at;
    router.route(
      StepEvents.BEFORE_TRANSITION,
      extend(base, { fromState: t.from, toState: t.to }),
      at,
      eid(e, 0),
    );
    switch (t.to) {
      case 'pending':
        if (t.from === null)
          router.route(StepEvents.INITIALIZE_REQUESTED, extend(base, { requestedAt: at }), at, eid(e, 1));
        else if (t.from === 'error') {
          router.route(
            StepEvents.RETRY_REQUESTED,
            extend(base, { backoffMs: 0, nextAttemptAt: at }),
            at,
            eid(e, 1),
          );
        }
        return;
      case 'skipped':
        router.route(
          ObservabilityEvents.STEP_SKIP,
          extend(base, { reason: t.reason ?? 'bypassed' }),
          at,
          eid(e, 1),
        );
        return;
      case 'in_progress':
        router.route(StepEvents.EXECUTION_REQUESTED, extend(base, { requestedAt: at }), at, eid(e, 1));
        router.route(StepEvents.BEFORE_HANDLE, extend(base, { startedAt: at }), at, eid(e, 2));
        return;
      case 'complete': {
        const timed = timedOf(base, t, at);
        router.route(StepEvents.COMPLETED, timed, at, eid(e, 1));
        router.route(WorkflowEvents.STEP_COMPLETED, timed, at, eid(e, 2));
        return;
      }
      case 'waiting_for_retry': {
        const timed = timedOf(base, t, at);
        const error = t.error ?? { name: 'Error', message: 'failed' };
        const backoffMs = t.backoffMs ?? 0;
        const nextAttemptAt = t.nextAttemptAt ?? at;
        router.route(StepEvents.FAILED, extend(timed, { error, retryable: true }), at, eid(e, 1));
        router.route(
          StepEvents.RETRY_REQUESTED,
          extend(base, { backoffMs, nextAttemptAt, error }),
          at,
          eid(e, 2),
        );
        router.route(
          ObservabilityEvents.STEP_BACKOFF,
          extend(base, { backoffMs, nextAttemptAt, retryAfterMs: t.retryAfterMs }),
          at,
          eid(e, 3),
        );
        return;
      }
      case 'error': {
        const timed = timedOf(base, t, at);
        const error = t.error ?? { name: 'Error', message: 'failed' };
        router.route(StepEvents.FAILED, extend(timed, { error, retryable: false }), at, eid(e, 1));
        router.route(WorkflowEvents.STEP_FAILED, extend(timed, { error, retryable: false }), at, eid(e, 2));
        if (t.exhausted === true)
          router.route(ObservabilityEvents.STEP_MAX_RETRIES_REACHED, extend(base, { error }), at, eid(e, 3));
        return;
      }
      case 'cancelled':
        router.route(StepEvents.CANCELLED, manualOf(base, t), at, eid(e, 1));
        return;
      case 'resolved_manually':
        router.route(StepEvents.RESOLVED_MANUALLY, manualOf(base, t), at, eid(e, 1));
        return;
    }
  }
}

/** A transition record rebuilt from an audit row joined to its task and step. */
function transitionFromAudit(row: Record<string, unknown>): TransitionRecord {
  const m = (row.metadata ?? {}) as Record<string, unknown>;
  const task: TaskInfo = {
    id: String(row.task_id),
    namespace: String(row.namespace),
    name: String(row.task_name),
    version: String(row.version),
    traceContext: (row.trace_context ?? undefined) as TaskInfo['traceContext'],
    createdAt: num(row.task_created_at),
  };
  const at = num(row.created_at);
  const common = {
    id: num(row.id),
    task,
    at,
    ...(row.reason == null ? {} : { reason: String(row.reason) }),
    ...(typeof m.actor === 'string' ? { actor: m.actor } : {}),
    ...(m.error === undefined ? {} : { error: m.error as EventError }),
  };
  if (row.step_id == null) {
    return {
      kind: 'task',
      from: (row.from_state ?? null) as TaskState | null,
      to: row.to_state as TaskState,
      ...common,
    };
  }
  const startedAt = optNum(row.started_at);
  return {
    kind: 'step',
    stepId: String(row.step_id),
    stepName: String(row.step_name),
    from: (row.from_state ?? null) as StepState | null,
    to: row.to_state as StepState,
    attempt: typeof m.attempt === 'number' ? m.attempt : 0,
    retryLimit: optNum(row.retry_limit) ?? 0,
    ...(row.from_state === 'in_progress' && startedAt !== undefined && startedAt <= at ? { startedAt } : {}),
    ...(typeof m.backoffMs === 'number' ? { backoffMs: m.backoffMs } : {}),
    ...(typeof m.nextAttemptAt === 'number' ? { nextAttemptAt: m.nextAttemptAt } : {}),
    ...(typeof m.retryAfterMs === 'number' ? { retryAfterMs: m.retryAfterMs } : {}),
    ...(m.exhausted === true ? { exhausted: true } : {}),
    ...common,
  };
}
