/**
 * Operations people (or the REST API) perform on tasks and steps: cancel, retry, resolve. Each
 * runs inside the caller's transaction, checks the state machine first (an invalid transition
 * throws a typed error and changes nothing) and returns the committed change.
 */
import { InvalidTransitionError, TaskerError } from '../errors';
import { canTransitionStep, type StepState } from '../states/step-states';
import { assertTaskTransition, type TaskState } from '../states/task-states';
import {
  type Change,
  num,
  type ReadySteps,
  type StepTransitionRecord,
  type TaskInfo,
  taskInfoFrom,
} from './records';
import { cancelSteps, descendants, lockStep, resolveStep, retryStep } from './sql/manage-steps';
import { releaseChildren } from './sql/settle-step';
import { countErroredSteps, lockTask, stepsSatisfied, transitionTask } from './sql/task-state';
import { assertStorableJson, assertStorableText } from './storable';
import type { Run } from './store-context';
import { logChange } from './transition-log';

/** Who did it and why; recorded with the transition and published with its events. */
export interface ManualOptions {
  readonly reason?: string;
  readonly actor?: string;
}

/** Refuses, naming the field, a reason, actor or result that PostgreSQL cannot store. */
function assertStorableManual(o: ManualOptions & { result?: unknown }): void {
  assertStorableText('reason', o.reason);
  assertStorableText('actor', o.actor);
  if ('result' in o) assertStorableJson('result', o.result);
}

async function lockedTask(run: Run, taskId: string): Promise<{ task: TaskInfo; state: TaskState }> {
  const r = await run(lockTask, [taskId]);
  const row = r.rows[0];
  if (row === undefined) throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
  return { task: taskInfoFrom(row), state: row.state as TaskState };
}

async function lockedStep(run: Run, stepId: string) {
  const r = await run(lockStep, [stepId]);
  const row = r.rows[0];
  if (row === undefined) throw new TaskerError('STEP_NOT_FOUND', `No step with id "${stepId}"`);
  return {
    row,
    task: taskInfoFrom(row, true),
    state: row.state as StepState,
    taskState: row.task_state as TaskState,
  };
}

function stepRecords(
  rows: Record<string, unknown>[],
  task: TaskInfo,
  to: StepState,
  now: number,
  o: ManualOptions,
) {
  return rows.map(
    (row): StepTransitionRecord => ({
      kind: 'step',
      task,
      stepId: String(row.id),
      stepName: String(row.name),
      from: row.from_state as StepState,
      to,
      attempt: num(row.attempts),
      retryLimit: num(row.retry_limit),
      at: now,
      reason: o.reason,
      actor: o.actor,
    }),
  );
}

/** Cancels a task and every unfinished step of it. */
export async function cancelTask(
  run: Run,
  taskId: string,
  now: number,
  o: ManualOptions,
  writer: number | null,
): Promise<Change> {
  assertStorableManual(o);
  const { task, state } = await lockedTask(run, taskId);
  assertTaskTransition(state, 'cancelled', `task "${taskId}"`);
  await run(transitionTask, [taskId, [state], 'cancelled', now]);
  const steps = await run(cancelSteps, [[], taskId, now]);
  const change: Change = {
    transitions: [
      ...stepRecords(steps.rows, task, 'cancelled', now, o),
      { kind: 'task', task, from: state, to: 'cancelled', at: now, reason: o.reason, actor: o.actor },
    ],
    ready: [],
  };
  await logChange(run, change, now, writer);
  return change;
}

/** Cancels a step and every step that depends on it; the task moves to `cancelled`. */
export async function cancelStepAndDescendants(
  run: Run,
  stepId: string,
  now: number,
  o: ManualOptions,
  writer: number | null,
): Promise<Change> {
  assertStorableManual(o);
  const { task, state } = await lockedStep(run, stepId);
  if (!canTransitionStep(state, 'cancelled'))
    throw new InvalidTransitionError('step', state, 'cancelled', `step "${stepId}"`);
  const ids = await run<{ id: string }>(descendants, [stepId]);
  const steps = await run(cancelSteps, [ids.rows.map((r) => r.id), null, now]);
  const change: Change = { transitions: stepRecords(steps.rows, task, 'cancelled', now, o), ready: [] };
  const t = await lockedTask(run, task.id);
  if (t.state === 'pending' || t.state === 'in_progress' || t.state === 'error') {
    await run(transitionTask, [task.id, [t.state], 'cancelled', now]);
    change.transitions.push({
      kind: 'task',
      task,
      from: t.state,
      to: 'cancelled',
      at: now,
      reason: o.reason,
      actor: o.actor,
    });
  }
  await logChange(run, change, now, writer);
  return change;
}

/** Moves a step in `error` back to `pending` with a fresh retry budget. */
export async function retryErroredStep(
  run: Run,
  stepId: string,
  now: number,
  o: ManualOptions,
  writer: number | null,
): Promise<Change> {
  assertStorableManual(o);
  const { row, task, state, taskState } = await lockedStep(run, stepId);
  if (state !== 'error') {
    throw new InvalidTransitionError(
      'step',
      state,
      'pending',
      `only a step in error can be retried (step "${stepId}")`,
    );
  }
  if (taskState !== 'error' && taskState !== 'in_progress') {
    throw new InvalidTransitionError('task', taskState, 'in_progress', `task "${task.id}" is ${taskState}`);
  }
  const r = await run(retryStep, [stepId, now]);
  const change: Change = {
    transitions: stepRecords(
      r.rows.map((x) => ({ ...x, from_state: 'error' })),
      task,
      'pending',
      now,
      o,
    ),
    ready: num(row.pending_parents) === 0 ? [{ task, stepIds: [stepId], stepNames: [String(row.name)] }] : [],
  };
  if (taskState === 'error') {
    await run(transitionTask, [task.id, ['error'], 'in_progress', now]);
    change.transitions.push({
      kind: 'task',
      task,
      from: 'error',
      to: 'in_progress',
      at: now,
      reason: o.reason,
      actor: o.actor,
    });
  }
  await logChange(run, change, now, writer);
  return change;
}

const RESOLVABLE: readonly StepState[] = ['pending', 'in_progress', 'waiting_for_retry', 'error'];

/** Marks an unfinished step resolved by hand (its children and task are seen to by the caller). */
async function markResolved(
  run: Run,
  stepId: string,
  now: number,
  o: ManualOptions & { result?: unknown },
): Promise<Change> {
  assertStorableManual(o);
  const { task, state, taskState } = await lockedStep(run, stepId);
  if (!RESOLVABLE.includes(state)) {
    throw new InvalidTransitionError('step', state, 'resolved_manually', `step "${stepId}"`);
  }
  if (taskState !== 'in_progress' && taskState !== 'error') {
    throw new InvalidTransitionError(
      'task',
      taskState,
      taskState,
      `task "${task.id}" is ${taskState}; its steps cannot be resolved`,
    );
  }
  const result = o.result === undefined ? null : JSON.stringify(o.result);
  const r = await run(resolveStep, [stepId, result, now, RESOLVABLE]);
  return { transitions: stepRecords(r.rows, task, 'resolved_manually', now, o), ready: [] };
}

/**
 * Resolves an unfinished step by hand, in the caller's transaction: releases its children (with
 * the given result as the step's), finalises the task or lifts it out of `error`, and records
 * the transitions under `writer`.
 */
export async function resolveStepManually(
  run: Run,
  stepId: string,
  now: number,
  o: ManualOptions & { result?: unknown },
  writer: number | null,
): Promise<Change> {
  const change = await markResolved(run, stepId, now, o);
  const first = change.transitions.find((t): t is StepTransitionRecord => t.kind === 'step');
  if (first !== undefined) {
    const satisfied = new Map([[first.task.id, { task: first.task }]]);
    change.ready.push(...(await releaseSatisfied(run, [first.stepId], satisfied, now)));
    await finishResolution(run, change, first.task, now);
  }
  await logChange(run, change, now, writer);
  return change;
}

async function releaseSatisfied(
  run: Run,
  parents: readonly string[],
  tasks: ReadonlyMap<string, { task: TaskInfo }>,
  now: number,
): Promise<ReadySteps[]> {
  if (parents.length === 0) return [];
  const r = await run(releaseChildren, [parents, now]);
  const byTask = new Map<string, { stepIds: string[]; stepNames: string[] }>();
  for (const row of r.rows) {
    if (row.state !== 'pending' || num(row.pending_parents) !== 0) continue;
    const taskId = String(row.task_id);
    const group = byTask.get(taskId) ?? { stepIds: [], stepNames: [] };
    group.stepIds.push(String(row.id));
    group.stepNames.push(String(row.name));
    byTask.set(taskId, group);
  }
  return [...byTask].map(([taskId, g]) => ({ task: tasks.get(taskId)!.task, ...g }));
}

/** After a resolution: finalise, or lift an `error` task back to work when nothing is in error. */
async function finishResolution(run: Run, change: Change, task: TaskInfo, now: number) {
  const r = await run(stepsSatisfied, [task.id, 1, now]);
  const row = r.rows[0];
  if (row === undefined) return;
  if (row.from_state !== row.to_state) {
    change.transitions.push({ kind: 'task', task, from: 'in_progress', to: 'complete', at: now });
    return;
  }
  if (row.to_state !== 'error') return;
  const errored = await run<{ n: number }>(countErroredSteps, [task.id]);
  if (num(errored.rows[0]?.n) > 0) return;
  const to = num(row.unfinished_steps) <= 0 ? 'resolved_manually' : 'in_progress';
  await run(transitionTask, [task.id, ['error'], to, now]);
  change.transitions.push({
    kind: 'task',
    task,
    from: 'error',
    to,
    at: now,
    reason: 'step resolved manually',
  });
}
