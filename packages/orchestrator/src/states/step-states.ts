/**
 * The step state machine. Steps have the original's six states plus `waiting_for_retry` (a
 * retry is a real transition, with `nextAttemptAt`) and `skipped` (bypassed at submit).
 *
 * ```
 * (new) → pending ──claim──→ in_progress ──→ complete
 *           │ ▲                 │   │  │
 *           │ └─lease expired───┘   │  └──→ error ──retryStep──→ pending
 *           │                       ▼
 *           │               waiting_for_retry ──claim──→ in_progress
 *           ├──→ skipped
 *           └──→ cancelled / resolved_manually (from every unfinished state)
 * ```
 *
 * `complete`, `skipped`, `cancelled` and `resolved_manually` are final; `error` is final until
 * someone retries or resolves the step.
 */
import { InvalidTransitionError } from '../errors';

/** The states of a step. */
export const STEP_STATES = [
  'pending',
  'in_progress',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
  'waiting_for_retry',
  'skipped',
] as const;

export type StepState = (typeof STEP_STATES)[number];

/** Allowed step transitions: `from` → the states it may move to. `null` is creation. */
export const STEP_TRANSITIONS: Readonly<Record<StepState | 'null', readonly StepState[]>> = Object.freeze({
  null: ['pending'],
  pending: ['in_progress', 'skipped', 'cancelled', 'resolved_manually'],
  in_progress: ['complete', 'error', 'waiting_for_retry', 'pending', 'cancelled', 'resolved_manually'],
  waiting_for_retry: ['in_progress', 'cancelled', 'resolved_manually'],
  error: ['pending', 'cancelled', 'resolved_manually'],
  complete: [],
  skipped: [],
  cancelled: [],
  resolved_manually: [],
});

/** States that satisfy a child's dependency on the step. */
export const SATISFIED_STEP_STATES: readonly StepState[] = Object.freeze([
  'complete',
  'resolved_manually',
  'skipped',
]);

/** States a step never leaves. */
export const FINAL_STEP_STATES: readonly StepState[] = Object.freeze([
  'complete',
  'skipped',
  'cancelled',
  'resolved_manually',
]);

/** True when the table allows `from` → `to`. */
export function canTransitionStep(from: StepState | null, to: StepState): boolean {
  return STEP_TRANSITIONS[from ?? 'null'].includes(to);
}

/**
 * Checks a step transition against the table.
 *
 * @throws InvalidTransitionError when the table does not allow it.
 */
export function assertStepTransition(from: StepState | null, to: StepState, detail?: string): void {
  if (!canTransitionStep(from, to)) throw new InvalidTransitionError('step', from, to, detail);
}
