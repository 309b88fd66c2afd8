/**
 * Writes a change's transitions to the audit trail (one statement for all of them) and wakes
 * idle workers with one NOTIFY per transaction when steps became ready.
 */
import type { Change, TransitionRecord } from './records';
import { insertTransitions } from './sql/insert-transitions';
import { notify } from './sql/read-tasks';
import type { Run } from './store-context';

/** The channel idle workers listen on. */
export const READY_CHANNEL = 'tasker_ready';

/** The metadata a transition row carries (attempt, error, backoff, actor). */
export function metadataOf(r: TransitionRecord): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (r.actor !== undefined) m.actor = r.actor;
  if (r.error !== undefined) m.error = r.error;
  if (r.kind === 'step') {
    m.attempt = r.attempt;
    if (r.backoffMs !== undefined) m.backoffMs = r.backoffMs;
    if (r.nextAttemptAt !== undefined) m.nextAttemptAt = r.nextAttemptAt;
    if (r.retryAfterMs !== undefined) m.retryAfterMs = r.retryAfterMs;
  }
  return m;
}

/**
 * Records the transitions of `change` at `now` as written by `writer` (setting their ids), and
 * notifies when steps became ready.
 */
export async function logChange(run: Run, change: Change, now: number, writer: number | null): Promise<void> {
  const t = change.transitions;
  if (t.length > 0) {
    const r = await run(insertTransitions, [
      now,
      t.map((r) => r.task.id),
      t.map((r) => (r.kind === 'step' ? r.stepId : null)),
      t.map((r) => (r.kind === 'step' ? r.stepName : null)),
      t.map((r) => r.from),
      t.map((r) => r.to),
      t.map((r) => r.reason ?? null),
      t.map((r) => JSON.stringify(metadataOf(r))),
      writer,
    ]);
    r.rows.forEach((row, i) => {
      const record = t[i];
      if (record !== undefined) record.id = Number(row.id);
    });
  }
  if (change.ready.length > 0) await run(notify, [READY_CHANNEL, '']);
}

/** An empty change. */
export function emptyChange(): Change {
  return { transitions: [], ready: [] };
}
