/**
 * One task as the detail page reads it (`GET /tasks/{id}?include_dependencies=true`): its steps,
 * its transition audit and the runtime analysis (critical path, error chains); and the actions
 * the page sends through the REST API with the user's token.
 */
import { getJson, sendJson } from './api-client';
import type { StepTemplate } from './handlers-data';

export type StepState =
  | 'pending'
  | 'in_progress'
  | 'complete'
  | 'error'
  | 'cancelled'
  | 'resolved_manually'
  | 'waiting_for_retry'
  | 'skipped';

export type TaskState = 'pending' | 'in_progress' | 'complete' | 'error' | 'cancelled' | 'resolved_manually';

export interface StepError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export interface TaskStep extends StepTemplate {
  readonly workflow_step_id: string;
  readonly status: StepState;
  readonly attempts: number;
  readonly inputs: unknown;
  readonly results: unknown;
  readonly error: StepError | null;
  readonly next_attempt_at: string | null;
  readonly started_at: string | null;
  readonly ended_at: string | null;
  readonly duration_ms: number | null;
}

export interface Transition {
  readonly id: number;
  readonly workflow_step_id: string | null;
  readonly step_name: string | null;
  readonly from_state: string | null;
  readonly to_state: string;
  readonly reason: string | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly created_at: string;
}

export interface CriticalPath {
  readonly steps: readonly string[];
  readonly duration_ms: number;
  readonly complete: boolean;
}

export interface ErrorChain {
  readonly step: string;
  readonly error: StepError | null;
  readonly attempts: number;
  readonly blocked_descendants: readonly string[];
}

export interface TaskDetails {
  readonly task_id: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly status: TaskState;
  readonly context: unknown;
  readonly annotations: Readonly<Record<string, unknown>> | null;
  readonly initiator: string | null;
  readonly reason: string | null;
  readonly tags: readonly string[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly completed_at: string | null;
  readonly workflow_steps: readonly TaskStep[];
  readonly transitions: readonly Transition[];
  readonly omitted: readonly { readonly field: string; readonly bytes?: number; readonly count?: number }[];
  readonly dependency_analysis?: {
    readonly edges: readonly { readonly from: string; readonly to: string }[];
    readonly critical_path: CriticalPath;
    readonly error_chains: readonly ErrorChain[];
  };
}

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
