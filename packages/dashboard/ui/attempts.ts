/**
 * Every attempt of every step, rebuilt from the task's transition audit, for the timeline.
 *
 * A step's transitions, in id order, read as a small machine:
 * - `… → in_progress` opens the step's next run; its attempt number is the engine's
 *   (`metadata.attempt`), which a retry by hand starts again from 1, so runs are counted apart;
 * - `in_progress → X` closes it with outcome X: `complete`, `error` (retries exhausted or not
 *   retryable), `waiting_for_retry` (a retry is due at `metadata.nextAttemptAt`), `pending` (its
 *   lease expired: another worker takes it over), `cancelled` or `resolved_manually`. An attempt
 *   whose error has the code `STEP_TIMEOUT` timed out;
 * - `→ waiting_for_retry` opens a backoff gap, closed by the next claim (or, while none came,
 *   it runs to `nextAttemptAt`, or to now when that has passed);
 * - a step settled without running (`skipped`, `resolved_manually` or `cancelled` from `pending`
 *   or `error`) gets a mark at that time.
 * An attempt still open runs to `now`. When the API left the oldest transitions out, an attempt
 * whose start was left out is not drawn.
 */
import type { StepState, Transition } from './task-types';

export type AttemptOutcome = StepState | 'running';

export interface Attempt {
  readonly step: string;
  /** 1, 2, … over the step's whole life (unique per step). */
  readonly run: number;
  /** The engine's attempt number (from 1 again after a retry by hand). */
  readonly attempt: number;
  /** Epoch ms. */
  readonly start: number;
  readonly end: number;
  readonly outcome: AttemptOutcome;
  readonly timedOut: boolean;
  readonly error: string | undefined;
}

export interface Backoff {
  readonly step: string;
  /** The run it follows. */
  readonly after: number;
  readonly start: number;
  readonly end: number;
  /** False while the retry has not been claimed yet. */
  readonly ended: boolean;
}

export interface Mark {
  readonly step: string;
  readonly at: number;
  readonly state: string;
}

export interface Timeline {
  readonly attempts: Attempt[];
  readonly backoffs: Backoff[];
  readonly marks: Mark[];
  readonly start: number;
  readonly end: number;
}

const errorOf = (metadata: Readonly<Record<string, unknown>>) => {
  const e = metadata.error as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  if (e === undefined || e === null || typeof e !== 'object') return undefined;
  return { text: `${String(e.name ?? 'Error')}: ${String(e.message ?? '')}`, code: e.code };
};

/** The attempts, backoff gaps and marks of `transitions` (a task's audit), as of `now` (epoch ms). */
export function timelineOf(transitions: readonly Transition[], now: number): Timeline {
  const attempts: Attempt[] = [];
  const backoffs: Backoff[] = [];
  const marks: Mark[] = [];
  const open = new Map<string, { run: number; attempt: number; start: number }>();
  const waiting = new Map<string, { after: number; start: number; due: number | undefined }>();
  const count = new Map<string, number>();
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const t of [...transitions].sort((a, b) => a.id - b.id)) {
    const at = Date.parse(t.created_at);
    start = Math.min(start, at);
    end = Math.max(end, at);
    const step = t.step_name;
    if (step === null) continue;
    if (t.to_state === 'in_progress') {
      const gap = waiting.get(step);
      if (gap !== undefined) {
        backoffs.push({ step, after: gap.after, start: gap.start, end: at, ended: true });
        waiting.delete(step);
      }
      const run = (count.get(step) ?? 0) + 1;
      count.set(step, run);
      const attempt = typeof t.metadata.attempt === 'number' ? t.metadata.attempt : run;
      open.set(step, { run, attempt, start: at });
      continue;
    }
    const running = t.from_state === 'in_progress' ? open.get(step) : undefined;
    if (running !== undefined) {
      const error = errorOf(t.metadata);
      attempts.push({
        step,
        run: running.run,
        attempt: running.attempt,
        start: running.start,
        end: at,
        outcome: t.to_state as StepState,
        timedOut: error?.code === 'STEP_TIMEOUT',
        error: error?.text,
      });
      open.delete(step);
      if (t.to_state === 'waiting_for_retry') {
        const due = t.metadata.nextAttemptAt;
        waiting.set(step, {
          after: running.attempt,
          start: at,
          due: typeof due === 'number' ? due : undefined,
        });
      }
    } else if (t.from_state !== null && t.from_state !== 'in_progress' && t.to_state !== 'pending') {
      // Settled without running: skipped, resolved or cancelled from pending, error or a backoff.
      const gap = waiting.get(step);
      if (gap !== undefined) {
        backoffs.push({ step, after: gap.after, start: gap.start, end: at, ended: true });
        waiting.delete(step);
      }
      marks.push({ step, at, state: t.to_state });
    }
  }
  for (const [step, a] of open) {
    attempts.push({
      step,
      run: a.run,
      attempt: a.attempt,
      start: a.start,
      end: Math.max(a.start, now),
      outcome: 'running',
      timedOut: false,
      error: undefined,
    });
    end = Math.max(end, now);
  }
  for (const [step, gap] of waiting) {
    const until = Math.max(gap.start, gap.due ?? now);
    backoffs.push({ step, after: gap.after, start: gap.start, end: until, ended: false });
    end = Math.max(end, until);
  }
  if (!Number.isFinite(start)) start = end = now;
  return { attempts, backoffs, marks, start, end };
}
