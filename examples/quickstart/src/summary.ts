/**
 * The quickstart's default output for a finished task: one line for the task (its state and how
 * long it took from submission, backoff waits included), then one line per step with its state,
 * its attempts and how long its last attempt ran.
 *
 * ```text
 * shop.order 0193…: complete in 1.38 s
 *   validate_order   complete  1 attempt    2 ms
 *   charge_payment   complete  3 attempts  41 ms
 * ```
 */
import type { TaskDetails } from '@tasker/orchestrator';

const duration = (ms: number): string =>
  ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(2)} s`;

/** The summary of `task`, one string per line. */
export function taskSummary(task: TaskDetails): string[] {
  const took = task.completedAt === undefined ? '' : ` in ${duration(task.completedAt - task.createdAt)}`;
  const nameWidth = Math.max(...task.steps.map((s) => s.name.length));
  const stateWidth = Math.max(...task.steps.map((s) => s.state.length));
  const steps = task.steps.map((s) => {
    const attempts = `${s.attempts} attempt${s.attempts === 1 ? '' : 's'}`;
    const ran =
      s.startedAt !== undefined && s.endedAt !== undefined ? duration(s.endedAt - s.startedAt) : '-';
    return `  ${s.name.padEnd(nameWidth)}  ${s.state.padEnd(stateWidth)}  ${attempts.padEnd(10)}  ${ran.padStart(7)}`;
  });
  return [`${task.namespace}.${task.name} ${task.id}: ${task.state}${took}`, ...steps];
}
