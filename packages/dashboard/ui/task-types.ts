/**
 * One task as the REST API answers `GET /tasks/{id}?include_dependencies=true`: the parts the
 * detail page reads. No DOM, so that code without it (the timeline's tests) can use them.
 */
export type StepState =
  | 'pending'
  | 'in_progress'
  | 'complete'
  | 'error'
  | 'cancelled'
  | 'resolved_manually'
  | 'waiting_for_retry'
  | 'skipped';

/** The task states, in the orchestrator's order (`test/ui-wire.test.ts` holds them to its list). */
export const TASK_STATES = [
  'pending',
  'in_progress',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface StepError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** A step of a task: its template's fields (what `DagView` draws, as `StepTemplate`) and its run. */
export interface TaskStep {
  readonly name: string;
  readonly handler: string;
  readonly depends_on: readonly string[];
  readonly retryable: boolean;
  readonly retry_limit: number;
  readonly timeout_ms: number | null;
  readonly skippable: boolean;
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
