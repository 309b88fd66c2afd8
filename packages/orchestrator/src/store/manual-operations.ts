/**
 * Operations people (or the REST API) perform on tasks and steps: cancel, retry, resolve. Each
 * runs inside the caller's transaction, checks the state machine first (an invalid transition
 * throws a typed error and changes nothing) and returns the committed change.
 */
import { InvalidTransitionError, TaskerError } from '../errors';
import { canTransitionStep, type StepState } from '../states/step-states';
import { assertTaskTransition, type TaskState } from '../states/task-states';
import { type Change, num, type StepTransitionRecord, type TaskInfo, taskInfoFrom } from './records';
import { cancelSteps, descendants, lockStep, resolveStep, retryStep } from './sql/manage-steps';
import { lockTask, transitionTask } from './sql/task-state';
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

/**
 * Resolves an unfinished step by hand (the caller releases its children and finalises the
 * task in the same transaction).
 */
export async function resolveStepManually(
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
