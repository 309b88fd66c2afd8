/**
 * The task state machine. A task is created `pending` and moves to `in_progress` in the same
 * transaction that creates it (its root steps are ready at once). It is finalised `complete`
 * when every step is complete, resolved or skipped, and `error` as soon as one step fails
 * permanently or exhausts its retries. Retrying (or resolving) a step of an `error` task moves
 * it back to `in_progress`; resolving the last unfinished step of an `error` task moves it to
 * `resolved_manually`. `complete`, `cancelled` and `resolved_manually` are final.
 *
 * ```
 * (new) → pending → in_progress → complete
 *            │          │  ▲ │
 *            │          ▼  │ └──→ cancelled
 *            │         error ───→ resolved_manually
 *            └──→ cancelled       (error → cancelled too)
 * ```
 */
import { InvalidTransitionError } from '../errors';

/** The states of a task (the original's). */
export const TASK_STATES = [
  'pending',
  'in_progress',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
] as const;

export type TaskState = (typeof TASK_STATES)[number];

/** Allowed task transitions: `from` → the states it may move to. `null` is creation. */
export const TASK_TRANSITIONS: Readonly<Record<TaskState | 'null', readonly TaskState[]>> = Object.freeze({
  null: ['pending'],
  pending: ['in_progress', 'cancelled'],
  in_progress: ['complete', 'error', 'cancelled'],
  error: ['in_progress', 'cancelled', 'resolved_manually'],
  complete: [],
  cancelled: [],
  resolved_manually: [],
});

/** States a task never leaves. */
export const FINAL_TASK_STATES: readonly TaskState[] = Object.freeze([
  'complete',
  'cancelled',
  'resolved_manually',
]);

/** True when the table allows `from` → `to`. */
export function canTransitionTask(from: TaskState | null, to: TaskState): boolean {
  return TASK_TRANSITIONS[from ?? 'null'].includes(to);
}

/**
 * Checks a task transition against the table.
 *
 * @throws InvalidTransitionError when the table does not allow it.
 */
export function assertTaskTransition(from: TaskState | null, to: TaskState, detail?: string): void {
  if (!canTransitionTask(from, to)) throw new InvalidTransitionError('task', from, to, detail);
}
