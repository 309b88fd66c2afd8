/**
 * Creating a batch of tasks in one statement (`create_tasks`): one transaction and one round
 * trip, however many tasks (the engine's `submitMany` splits long lists into batches). Each
 * task is planned as `createTask` plans one (`./task-plan.ts`), so it is stored the same way.
 *
 * - Every task is checked before anything is sent: one the database cannot store is refused
 *   with a `BatchItemError` naming its index, and nothing of the batch is written.
 * - Identity keys: the first task of the batch with a key (custom or windowed) is written; a
 *   later one with the same key gets its result with `created: false`, as a second `createTask`
 *   would. A task whose key another task holds already is answered with that task.
 * - Retried as a whole on transient errors, with the ids made before the first attempt: a retry
 *   after a commit whose acknowledgement was lost finds its own tasks and reports them created.
 * - A task that a concurrent transaction beat to its key while the statement ran is not seen by
 *   the statement's snapshot; one more statement (`find_tasks`) finds those, and only then.
 */
import { BatchItemError, isTaskerError, TaskerError } from '../errors';
import type { NewTask } from './new-task';
import type { Change, ReadySteps, TransitionRecord } from './records';
import { createTasks, findTasks } from './sql/create-tasks';
import type { StoreContext } from './store-context';
import { assertStorableTask, planTask, stepClaimKeys, stepQueues, type TaskPlan } from './task-plan';
import { emptyChange, metadataOf, READY_CHANNEL } from './transition-log';

/** One task of a batch, as `createTasks` answers it (in the order of its inputs). */
export interface CreatedTask {
  readonly taskId: string;
  /** False when an identity key matched a task created before (or earlier in the batch). */
  readonly created: boolean;
  /** This task's change (empty when it was not created), for its events. */
  readonly change: Change;
}

/** What `createTasks` answers: each input's task, and the batch's changes together. */
export interface CreatedTasks {
  readonly tasks: readonly CreatedTask[];
  /** Every created task's transitions and ready steps, in input order. */
  readonly change: Change;
}

/** The keys that make two tasks one: a custom identity key, a windowed one. */
function keysOf(input: NewTask): string[] {
  const keys: string[] = [];
  if (input.identityKey !== undefined) keys.push(`key:${input.identityKey}`);
  if (input.identityWindow !== undefined) keys.push(`window:${input.identityWindow.key}`);
  return keys;
}

/** The statement's parameters for `plans` (see `./sql/create-tasks.ts` for their order). */
function parameters(plans: readonly TaskPlan[], now: number, writer: number | null, payload: string) {
  const task = Array.from({ length: 21 }, () => [] as unknown[]);
  const step = Array.from({ length: 20 }, () => [] as unknown[]);
  const edge = Array.from({ length: 3 }, () => [] as unknown[]);
  const transition = Array.from({ length: 7 }, () => [] as unknown[]);
  const push = (columns: unknown[][], values: readonly unknown[]) => {
    for (let c = 0; c < values.length; c++) (columns[c] as unknown[]).push(values[c]);
  };
  for (const plan of plans) {
    const t = plan.input;
    push(task, [
      plan.taskId,
      t.namespace,
      t.name,
      t.version,
      plan.contextJson,
      t.initiator ?? null,
      t.sourceSystem ?? null,
      t.reason ?? null,
      JSON.stringify(t.tags),
      JSON.stringify(t.annotations),
      t.identityKey ?? null,
      t.traceContext === undefined ? null : JSON.stringify(t.traceContext),
      JSON.stringify(t.bypassSteps),
      plan.unfinished,
      t.owner ?? null,
      t.requestedInitiator ?? null,
      t.identityWindow?.key ?? null,
      t.identityWindow?.windowMs ?? 0,
      plan.runAt ?? null,
      t.priority ?? 0,
      plan.wakes,
    ]);
    const queues = stepQueues(t);
    const claimKeys = stepClaimKeys(t);
    t.steps.forEach((s, i) => {
      push(step, [
        plan.taskId,
        plan.stepIds[i],
        s.name,
        s.handler,
        i,
        plan.stepStates[i],
        s.retryable,
        s.retryLimit,
        s.timeoutMs ?? null,
        s.skippable,
        plan.pendingParents[i],
        queues[i],
        claimKeys[i],
        s.priority ?? t.priority ?? 0,
        s.concurrency?.key ?? null,
        s.concurrency?.limit ?? null,
        s.rateLimit?.key ?? null,
        s.rateLimit?.limit ?? null,
        s.rateLimit?.periodMs ?? null,
        s.rateLimit?.burst ?? null,
      ]);
    });
    for (const [parent, child] of plan.edges) push(edge, [plan.taskId, parent, child]);
    for (const r of plan.transitions) {
      push(transition, [
        plan.taskId,
        r.kind === 'step' ? r.stepId : null,
        r.kind === 'step' ? r.stepName : null,
        r.from,
        r.to,
        r.reason ?? null,
        JSON.stringify(metadataOf(r)),
      ]);
    }
  }
  return [...task, ...step, ...edge, ...transition, now, writer, READY_CHANNEL, payload];
}

/**
 * Creates `inputs` in one statement (see the top of this file); notifies with `notifyPayload`
 * once when any created task has steps that are, or will be, ready. The transitions are recorded
 * as written by `writer` (a registry number, or null).
 */
export async function createTaskRecords(
  ctx: StoreContext,
  inputs: readonly NewTask[],
  now: number,
  notifyPayload: string,
  writer: number | null,
): Promise<CreatedTasks> {
  inputs.forEach((input, i) => {
    try {
      assertStorableTask(input);
    } catch (error) {
      throw isTaskerError(error) ? new BatchItemError(i, error, 'tasks') : error;
    }
  });
  // Per input, the plan that writes it: its own, or the first plan with one of its keys.
  const plans: TaskPlan[] = [];
  const planOf: number[] = [];
  const duplicate: boolean[] = [];
  const byKey = new Map<string, number>();
  for (const input of inputs) {
    const keys = keysOf(input);
    const first = keys.map((k) => byKey.get(k)).find((p) => p !== undefined);
    duplicate.push(first !== undefined);
    if (first !== undefined) {
      planOf.push(first);
      continue;
    }
    for (const k of keys) byKey.set(k, plans.length);
    planOf.push(plans.length);
    plans.push(planTask(input, now));
  }
  if (plans.length === 0) return { tasks: [], change: emptyChange() };

  const r = await ctx.query<{ created: unknown[]; transition_ids: unknown[]; existing: unknown[] }>(
    createTasks,
    parameters(plans, now, writer, notifyPayload),
  );
  const row = r.rows[0];
  if (row === undefined) throw new TaskerError('STORE_ERROR', 'create_tasks answered no row');
  const inserted = new Set(row.created.map(String));
  const existing = row.existing.map((id) => (id === null || id === undefined ? undefined : String(id)));
  const ids = row.transition_ids;
  const written = plans.reduce((n, p) => n + (inserted.has(p.taskId) ? p.transitions.length : 0), 0);
  let next = 0;
  const results: (CreatedTask | undefined)[] = plans.map((plan, i) => {
    if (inserted.has(plan.taskId)) {
      // The audit rows were inserted in the order of the plans' transitions.
      if (ids.length === written) for (const t of plan.transitions) t.id = Number(ids[next++]);
      return { taskId: plan.taskId, created: true, change: plan.change };
    }
    const found = existing[i];
    if (found === undefined) return undefined;
    // Our own id: an earlier attempt of this statement committed, and its answer was lost.
    if (found === plan.taskId) return { taskId: plan.taskId, created: true, change: plan.change };
    return { taskId: found, created: false, change: emptyChange() };
  });

  const unresolved = results.flatMap((r, i) => (r === undefined ? [i] : []));
  if (unresolved.length > 0) {
    const found = await ctx.query<{ id: string | null }>(findTasks, [
      unresolved.map((i) => (plans[i] as TaskPlan).taskId),
      unresolved.map((i) => (plans[i] as TaskPlan).input.identityKey ?? null),
      unresolved.map((i) => (plans[i] as TaskPlan).input.identityWindow?.key ?? null),
    ]);
    unresolved.forEach((i, k) => {
      const plan = plans[i] as TaskPlan;
      const id = found.rows[k]?.id;
      if (id === null || id === undefined)
        throw new TaskerError('STORE_ERROR', `Task ${plan.taskId} was neither created nor found`);
      results[i] =
        String(id) === plan.taskId
          ? { taskId: plan.taskId, created: true, change: plan.change }
          : { taskId: String(id), created: false, change: emptyChange() };
    });
  }

  const tasks = inputs.map((_, i): CreatedTask => {
    const own = results[planOf[i] as number] as CreatedTask;
    return duplicate[i] ? { taskId: own.taskId, created: false, change: emptyChange() } : own;
  });
  const transitions: TransitionRecord[] = [];
  const ready: ReadySteps[] = [];
  let delayed = false;
  for (const t of tasks) {
    if (!t.created) continue;
    transitions.push(...t.change.transitions);
    ready.push(...t.change.ready);
    if (t.change.delayed === true) delayed = true;
  }
  return { tasks, change: { transitions, ready, ...(delayed ? { delayed: true } : {}) } };
}
