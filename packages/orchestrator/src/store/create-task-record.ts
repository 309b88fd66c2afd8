/**
 * Creating a task: its steps, edges and creation transitions are written by one statement
 * (`create_task`), retried as a whole on transient errors. The ids are made before the first
 * attempt, so a retry after a commit whose acknowledgement was lost finds its own task and
 * reports it as created, once, instead of creating a second one.
 */
import { TaskerError } from '../errors';
import type { NewTask } from './new-task';
import type { Change } from './records';
import { createTask, findTask } from './sql/create-task';
import type { Run, StoreContext } from './store-context';
import { assertStorableTask, planTask, stepClaimKeys, stepQueues } from './task-plan';
import { emptyChange, metadataOf, READY_CHANNEL } from './transition-log';

/**
 * Creates `input` (or finds the task holding its identity key); notifies with `notifyPayload`.
 * The transitions are recorded as written by `writer` (a registry number, or null). With `run`
 * (an open transaction's), the task is created in that transaction (a schedule's firing).
 */
export async function createTaskRecord(
  ctx: StoreContext,
  input: NewTask,
  now: number,
  notifyPayload: string,
  writer: number | null,
  run?: Run,
): Promise<{ taskId: string; created: boolean; change: Change }> {
  const query: Run = run ?? ((q, params) => ctx.query(q, params));
  assertStorableTask(input);
  const plan = planTask(input, now);
  const { taskId, transitions, change } = plan;
  const r = await query<{ id: string | null; transition_ids: unknown[] | null }>(createTask, [
    taskId,
    input.namespace,
    input.name,
    input.version,
    plan.contextJson,
    input.initiator ?? null,
    input.sourceSystem ?? null,
    input.reason ?? null,
    [...input.tags],
    JSON.stringify(input.annotations),
    input.identityKey ?? null,
    input.traceContext === undefined ? null : JSON.stringify(input.traceContext),
    [...input.bypassSteps],
    plan.unfinished,
    now,
    plan.stepIds,
    input.steps.map((s) => s.name),
    input.steps.map((s) => s.handler),
    input.steps.map((_, i) => i),
    plan.stepStates,
    input.steps.map((s) => s.retryable),
    input.steps.map((s) => s.retryLimit),
    input.steps.map((s) => s.timeoutMs ?? null),
    input.steps.map((s) => s.skippable),
    plan.pendingParents,
    plan.edges.map((e) => e[0]),
    plan.edges.map((e) => e[1]),
    transitions.map((t) => (t.kind === 'step' ? t.stepId : null)),
    transitions.map((t) => (t.kind === 'step' ? t.stepName : null)),
    transitions.map((t) => t.from),
    transitions.map((t) => t.to),
    transitions.map((t) => t.reason ?? null),
    transitions.map((t) => JSON.stringify(metadataOf(t))),
    plan.wakes ? READY_CHANNEL : null,
    notifyPayload,
    stepQueues(input),
    stepClaimKeys(input),
    writer,
    input.owner ?? null,
    input.requestedInitiator ?? null,
    input.identityWindow?.key ?? null,
    input.identityWindow?.windowMs ?? 0,
    plan.runAt ?? null,
    input.priority ?? 0,
    input.steps.map((s) => s.priority ?? input.priority ?? 0),
    input.steps.map((s) => s.concurrency?.key ?? null),
    input.steps.map((s) => s.concurrency?.limit ?? null),
    input.steps.map((s) => s.rateLimit?.key ?? null),
    input.steps.map((s) => s.rateLimit?.limit ?? null),
    input.steps.map((s) => s.rateLimit?.periodMs ?? null),
    input.steps.map((s) => s.rateLimit?.burst ?? null),
  ]);
  if (r.rows[0]?.id != null) {
    const ids = r.rows[0].transition_ids as readonly unknown[] | null;
    if (ids !== null) {
      transitions.forEach((t, i) => {
        t.id = Number(ids[i]);
      });
    }
    return { taskId, created: true, change };
  }
  // Nothing inserted: our own earlier attempt committed (its id exists), or the identity key
  // (held for ever, or for a window that has not ended) belongs to another task.
  const found = await query<{ id: string }>(findTask, [
    taskId,
    input.identityKey ?? null,
    input.identityWindow?.key ?? null,
  ]);
  const existing = found.rows[0]?.id;
  if (existing === undefined)
    throw new TaskerError('STORE_ERROR', `Task ${taskId} was neither created nor found`);
  if (String(existing) === taskId) return { taskId, created: true, change };
  return { taskId: String(existing), created: false, change: emptyChange() };
}
