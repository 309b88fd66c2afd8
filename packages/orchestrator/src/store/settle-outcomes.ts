/**
 * Settling claimed steps' outcomes: one statement (`settle_steps`) records them all, and this
 * module turns its rows back into the committed `Change` (transitions in order, ready
 * children by task) that the engine publishes.
 */
import type { EventError } from '@tasker/router';
import type { StepState } from '../states/step-states';
import type { TaskState } from '../states/task-states';
import {
  type Change,
  num,
  optNum,
  type ReadySteps,
  type TaskInfo,
  type TransitionRecord,
  taskInfoFrom,
} from './records';
import { settleSteps } from './sql/settle-steps';
import type { StoreContext } from './store-context';
import { FINISHED_CHANNEL } from './task-finished';
import type { StepOutcome } from './task-store';
import { READY_CHANNEL } from './transition-log';

type Row = Record<string, unknown>;

/**
 * Records `outcomes` in one statement, retried as a whole on transient errors. Outcomes whose
 * token is stale change nothing and are returned in `fenced`. Idle workers are notified with
 * `notifyPayload` when steps became ready.
 */
export async function settleOutcomes(
  ctx: StoreContext,
  outcomes: readonly StepOutcome[],
  now: number,
  notifyPayload: string,
  writer: number | null,
): Promise<{ change: Change; fenced: string[] }> {
  if (outcomes.length === 0) return { change: { transitions: [], ready: [] }, fenced: [] };
  const r = await ctx.query<Row>(settleSteps, [
    now,
    outcomes.map((o) => o.stepId),
    outcomes.map((o) => o.token),
    outcomes.map((o) => o.kind === 'complete'),
    outcomes.map((o) => (o.kind === 'complete' ? JSON.stringify(o.result ?? null) : null)),
    outcomes.map((o) => o.kind === 'fail' && o.retryable),
    outcomes.map((o) => (o.kind === 'fail' ? JSON.stringify(o.error) : null)),
    outcomes.map((o) => (o.kind === 'fail' ? o.delayMs : 0)),
    outcomes.map((o) => (o.kind === 'fail' ? (o.retryAfterMs ?? null) : null)),
    READY_CHANNEL,
    notifyPayload,
    writer,
    FINISHED_CHANNEL,
  ]);
  const tasks = new Map<string, TaskInfo>();
  const steps: { ord: number; record: TransitionRecord }[] = [];
  const settled = new Set<string>();
  const readyRows: Row[] = [];
  const taskRows: Row[] = [];
  for (const row of r.rows) {
    if (row.kind === 'step') {
      const stepId = String(row.id);
      settled.add(stepId);
      const ord = num(row.ord);
      const outcome = outcomes[ord - 1] as StepOutcome;
      let task = tasks.get(String(row.task_id));
      if (task === undefined) {
        task = taskInfoFrom(row, true);
        tasks.set(task.id, task);
      }
      const to = row.state as StepState;
      const base = {
        kind: 'step',
        task,
        stepId,
        stepName: String(row.name),
        from: 'in_progress',
        to,
        attempt: num(row.attempts),
        retryLimit: num(row.retry_limit),
        at: now,
        startedAt: optNum(row.started_at),
        id: optNum(row.transition_id),
      } as const;
      if (outcome.kind === 'complete') steps.push({ ord, record: base });
      else {
        const nextAttemptAt = optNum(row.next_attempt_at);
        const record: TransitionRecord = {
          ...base,
          error: outcome.error,
          ...(nextAttemptAt === undefined ? {} : { nextAttemptAt, backoffMs: nextAttemptAt - now }),
          ...(outcome.retryAfterMs === undefined || to !== 'waiting_for_retry'
            ? {}
            : { retryAfterMs: outcome.retryAfterMs }),
          // Retries were allowed and are used up: not a step that may not retry (`retryable:
          // false`), which fails on its first error.
          exhausted: to === 'error' && outcome.retryable && row.retryable === true,
        };
        steps.push({ ord, record });
      }
    } else if (row.kind === 'ready') readyRows.push(row);
    else if (row.kind === 'task') taskRows.push(row);
  }
  steps.sort((a, b) => a.ord - b.ord);
  const transitions = steps.map((s) => s.record);
  taskRows.sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  for (const row of taskRows) {
    const task = tasks.get(String(row.id)) as TaskInfo;
    const to = row.state as TaskState;
    transitions.push({
      kind: 'task',
      task,
      from: row.from_state as TaskState,
      to,
      at: now,
      id: optNum(row.transition_id),
      ...(to === 'error' && row.error != null ? { error: row.error as EventError } : {}),
    });
  }
  const byTask = new Map<string, { stepIds: string[]; stepNames: string[] }>();
  for (const row of readyRows) {
    const taskId = String(row.task_id);
    const group = byTask.get(taskId) ?? { stepIds: [], stepNames: [] };
    group.stepIds.push(String(row.id));
    group.stepNames.push(String(row.name));
    byTask.set(taskId, group);
  }
  const ready: ReadySteps[] = [...byTask].map(([taskId, g]) => ({
    task: tasks.get(taskId) as TaskInfo,
    ...g,
  }));
  const fenced = outcomes.filter((o) => !settled.has(o.stepId)).map((o) => o.stepId);
  return { change: { transitions, ready }, fenced };
}
