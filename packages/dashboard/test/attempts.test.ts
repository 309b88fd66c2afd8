import { describe, expect, it } from 'vitest';
import { timelineOf } from '../ui/attempts';
import type { Transition } from '../ui/task-types';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');
let id = 0;
/** A transition at `ms` after T0. */
const tr = (
  ms: number,
  step: string | null,
  from: string | null,
  to: string,
  metadata: Record<string, unknown> = {},
  reason: string | null = null,
): Transition => ({
  id: ++id,
  workflow_step_id: step === null ? null : `id-${step}`,
  step_name: step,
  from_state: from,
  to_state: to,
  reason,
  metadata,
  created_at: new Date(T0 + ms).toISOString(),
});

describe('timelineOf', () => {
  it('turns claims and settles into runs, with the backoff between them and timeouts marked', () => {
    const timeout = { error: { name: 'TimeoutError', message: 'timed out', code: 'STEP_TIMEOUT' } };
    const t = timelineOf(
      [
        tr(0, null, null, 'pending'),
        tr(0, 'a', null, 'pending'),
        tr(10, 'a', 'pending', 'in_progress', { attempt: 1 }),
        tr(310, 'a', 'in_progress', 'waiting_for_retry', { attempt: 1, nextAttemptAt: T0 + 610, ...timeout }),
        tr(615, 'a', 'waiting_for_retry', 'in_progress', { attempt: 2 }),
        tr(650, 'a', 'in_progress', 'error', { attempt: 2, error: { name: 'Error', message: 'boom' } }),
        tr(900, 'a', 'error', 'pending', {}, 'retried through the API'),
        tr(950, 'a', 'pending', 'in_progress', { attempt: 1 }),
        tr(990, 'a', 'in_progress', 'complete', { attempt: 1 }),
      ],
      T0 + 5_000,
    );
    expect(t.attempts.map((a) => [a.run, a.attempt, a.end - a.start, a.outcome, a.timedOut])).toEqual([
      [1, 1, 300, 'waiting_for_retry', true],
      [2, 2, 35, 'error', false],
      [3, 1, 40, 'complete', false],
    ]);
    expect(t.attempts[1]?.error).toBe('Error: boom');
    expect(t.backoffs).toEqual([{ step: 'a', after: 1, start: T0 + 310, end: T0 + 615, ended: true }]);
    expect(t.marks).toEqual([]);
    expect([t.start - T0, t.end - T0]).toEqual([0, 990]);
  });

  it('runs an open attempt to now, a pending backoff to its due time, and marks steps settled without running', () => {
    const t = timelineOf(
      [
        tr(0, 'a', 'pending', 'in_progress', { attempt: 1 }),
        tr(0, 'b', 'pending', 'in_progress', { attempt: 1 }),
        tr(100, 'b', 'in_progress', 'waiting_for_retry', { attempt: 1, nextAttemptAt: T0 + 2_000 }),
        tr(200, 'c', 'pending', 'skipped'),
        tr(300, 'd', 'error', 'resolved_manually'),
        tr(400, 'e', 'in_progress', 'complete', { attempt: 1 }),
      ],
      T0 + 1_000,
    );
    expect(t.attempts.map((a) => [a.step, a.run, a.outcome, a.end - a.start])).toEqual([
      ['b', 1, 'waiting_for_retry', 100],
      ['a', 1, 'running', 1_000],
    ]);
    expect(t.backoffs).toEqual([{ step: 'b', after: 1, start: T0 + 100, end: T0 + 2_000, ended: false }]);
    // e's claim was left out of the answer (the oldest transitions are, over the byte budget):
    // its settle is neither a run nor a mark.
    expect(t.marks.map((m) => `${m.step} ${m.state}`)).toEqual(['c skipped', 'd resolved_manually']);
    expect(t.end - T0).toBe(2_000);
  });

  it('is empty, at now, without transitions', () => {
    expect(timelineOf([], T0)).toEqual({ attempts: [], backoffs: [], marks: [], start: T0, end: T0 });
  });
});
