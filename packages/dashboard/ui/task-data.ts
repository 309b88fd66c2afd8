/**
 * Reads one task for the detail page (`GET /tasks/{id}?include_dependencies=true`: its steps, its
 * transition audit and the runtime analysis) and sends the page's actions through the REST API
 * with the user's token.
 */
import { getJson, sendJson } from './api-client';
import type { TaskDetails, TaskState } from './task-types';

export type { StepError, StepState, TaskDetails, TaskState, TaskStep, Transition } from './task-types';

/** Task states that no longer change unless someone acts: the page stops refreshing. */
export const SETTLED_TASK_STATES: ReadonlySet<TaskState> = new Set([
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
]);

const seg = encodeURIComponent;

export function loadTask(id: string): Promise<TaskDetails> {
  return getJson<TaskDetails>(`/tasks/${seg(id)}?include_dependencies=true`);
}

const stepPath = (taskId: string, stepId: string) => `/tasks/${seg(taskId)}/workflow_steps/${seg(stepId)}`;

/** `POST …/retry`: a step in error runs again (guarded by `tasker.workflow_step:retry`). */
export function retryStep(taskId: string, stepId: string, reason: string): Promise<unknown> {
  return sendJson('POST', `${stepPath(taskId, stepId)}/retry`, reason === '' ? {} : { reason });
}

/** `POST …/resolve` with a result for its children (guarded by `tasker.workflow_step:update`). */
export function resolveStep(
  taskId: string,
  stepId: string,
  result: unknown,
  reason: string,
): Promise<unknown> {
  return sendJson('POST', `${stepPath(taskId, stepId)}/resolve`, {
    ...(result === undefined ? {} : { result }),
    ...(reason === '' ? {} : { reason }),
  });
}

/** `DELETE /tasks/{id}`: cancels the task and its unfinished steps (guarded by `tasker.task:cancel`). */
export function cancelTask(taskId: string): Promise<unknown> {
  return sendJson('DELETE', `/tasks/${seg(taskId)}`);
}
