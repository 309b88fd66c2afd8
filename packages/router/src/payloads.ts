import type { ObservabilityEvents, StepEvents, SystemEvents, TaskEvents, WorkflowEvents } from './catalog';

/**
 * Payload types of the catalog events. All payloads are camelCase. Times are epoch
 * milliseconds (`Date.now()` scale); durations are milliseconds.
 *
 * The orchestrator fills these; the router only carries them.
 */

/** An error as it travels in an event: plain data, never an `Error` instance. */
export interface EventError {
  readonly name: string;
  readonly message: string;
  /** A stable machine-readable code, when the error has one. */
  readonly code?: string;
}

/**
 * An opaque trace-propagation record (for example W3C `traceparent` / `tracestate`), stored
 * with the task by the orchestrator and read by trace adapters.
 */
export type TraceContext = Readonly<Record<string, string>>;

/** Fields every task event carries. */
export interface TaskEventPayload {
  readonly taskId: string;
  readonly namespace: string;
  readonly taskName: string;
  readonly version: string;
  readonly requestedAt?: number;
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly durationMs?: number;
  readonly traceContext?: TraceContext;
}

/** Fields every step event carries, on top of the task's. */
export interface StepEventPayload extends TaskEventPayload {
  readonly stepId: string;
  readonly stepName: string;
  /** 1 for the first run of the step, 2 for the first retry, … */
  readonly attempt: number;
  readonly retryLimit: number;
}

/** A task or step failed. */
export interface TaskFailedPayload extends TaskEventPayload {
  readonly error: EventError;
}

export interface StepFailedPayload extends StepEventPayload {
  readonly error: EventError;
  /** False when the error is permanent and no retry will follow. */
  readonly retryable?: boolean;
}

/** A task or step changed state: published after the change committed, as a `{ from, to }` record (not a hook that can veto). */
export interface TaskTransitionPayload extends TaskEventPayload {
  readonly fromState: string | null;
  readonly toState: string;
}

export interface StepTransitionPayload extends StepEventPayload {
  readonly fromState: string | null;
  readonly toState: string;
}

/** A failed step will run again at `nextAttemptAt`. */
export interface StepRetryPayload extends StepEventPayload {
  readonly backoffMs: number;
  readonly nextAttemptAt: number;
  readonly error?: EventError;
}

/** A task was asked to run again (manually, or after its failed steps were reset). */
export interface TaskRetryPayload extends TaskEventPayload {
  readonly reason?: string;
}

/** A task or step was cancelled or resolved by hand. */
export interface TaskManualPayload extends TaskEventPayload {
  readonly reason?: string;
  readonly actor?: string;
}

export interface StepManualPayload extends StepEventPayload {
  readonly reason?: string;
  readonly actor?: string;
}

/** A set of steps found ready to run, or handed to workers as one batch. */
export interface StepSetPayload extends TaskEventPayload {
  readonly stepIds: readonly string[];
  readonly stepNames: readonly string[];
  readonly count: number;
}

/** A task's finalisation or re-enqueue decision. */
export interface TaskDecisionPayload extends TaskEventPayload {
  readonly status?: string;
  readonly reason?: string;
  readonly delayMs?: number;
  readonly error?: EventError;
}

/** A task put on the queue. */
export interface TaskEnqueuePayload extends TaskEventPayload {
  readonly queue?: string;
  readonly delayMs?: number;
}

/** A step skipped, with the reason. */
export interface StepSkipPayload extends StepEventPayload {
  readonly reason: string;
}

/** A step's backoff before its next attempt. */
export interface StepBackoffPayload extends StepEventPayload {
  readonly backoffMs: number;
  readonly nextAttemptAt: number;
  /** Set when the handler asked for the delay (`RetryableError({ retryAfter })`). */
  readonly retryAfterMs?: number;
}

/** A step failed on its last allowed attempt. */
export interface StepMaxRetriesPayload extends StepEventPayload {
  readonly error?: EventError;
}

/** A query ran; sampled at 0.1 by default. */
export interface DatabaseQueryPayload {
  readonly operation: string;
  readonly durationMs: number;
  readonly table?: string;
  readonly rowCount?: number;
  readonly taskId?: string;
}

/** A step's dependency on `dependencyName` was satisfied. */
export interface DependencyResolvedPayload extends TaskEventPayload {
  readonly stepName: string;
  readonly dependencyName: string;
}

/** A batch of steps ran together. */
export interface BatchStepExecutionPayload extends TaskEventPayload {
  readonly stepIds: readonly string[];
  readonly count: number;
}

/** Heap use crossed a threshold. */
export interface MemorySpikePayload {
  readonly heapUsedBytes: number;
  readonly thresholdBytes: number;
  readonly rssBytes?: number;
}

/** An operation took longer than its threshold. */
export interface SlowOperationPayload {
  readonly operation: string;
  readonly durationMs: number;
  readonly thresholdMs: number;
  readonly taskId?: string;
  readonly stepName?: string;
}

/**
 * Event name → payload type. It is an interface so that applications can add their custom
 * events by declaration merging:
 *
 * @example
 * ```ts
 * declare module '@tasker/router' {
 *   interface EventPayloadMap {
 *     'order.fulfilled': { orderId: string };
 *   }
 * }
 * ```
 */
export interface EventPayloadMap {
  [TaskEvents.INITIALIZE_REQUESTED]: TaskEventPayload;
  [TaskEvents.START_REQUESTED]: TaskEventPayload;
  [TaskEvents.COMPLETED]: TaskEventPayload;
  [TaskEvents.FAILED]: TaskFailedPayload;
  [TaskEvents.RETRY_REQUESTED]: TaskRetryPayload;
  [TaskEvents.CANCELLED]: TaskManualPayload;
  [TaskEvents.RESOLVED_MANUALLY]: TaskManualPayload;
  [TaskEvents.BEFORE_TRANSITION]: TaskTransitionPayload;

  [StepEvents.INITIALIZE_REQUESTED]: StepEventPayload;
  [StepEvents.EXECUTION_REQUESTED]: StepEventPayload;
  [StepEvents.BEFORE_HANDLE]: StepEventPayload;
  [StepEvents.HANDLE]: StepEventPayload;
  [StepEvents.COMPLETED]: StepEventPayload;
  [StepEvents.FAILED]: StepFailedPayload;
  [StepEvents.RETRY_REQUESTED]: StepRetryPayload;
  [StepEvents.CANCELLED]: StepManualPayload;
  [StepEvents.RESOLVED_MANUALLY]: StepManualPayload;
  [StepEvents.BEFORE_TRANSITION]: StepTransitionPayload;

  [WorkflowEvents.TASK_STARTED]: TaskEventPayload;
  [WorkflowEvents.TASK_COMPLETED]: TaskEventPayload;
  [WorkflowEvents.TASK_FAILED]: TaskFailedPayload;
  [WorkflowEvents.STEP_COMPLETED]: StepEventPayload;
  [WorkflowEvents.STEP_FAILED]: StepFailedPayload;
  [WorkflowEvents.VIABLE_STEPS_DISCOVERED]: StepSetPayload;
  [WorkflowEvents.NO_VIABLE_STEPS]: TaskDecisionPayload;
  [WorkflowEvents.ORCHESTRATION_REQUESTED]: TaskEventPayload;
  [WorkflowEvents.TASK_FINALIZATION_STARTED]: TaskDecisionPayload;
  [WorkflowEvents.TASK_FINALIZATION_COMPLETED]: TaskDecisionPayload;
  [WorkflowEvents.TASK_REENQUEUE_STARTED]: TaskDecisionPayload;
  [WorkflowEvents.TASK_REENQUEUE_REQUESTED]: TaskDecisionPayload;
  [WorkflowEvents.TASK_REENQUEUE_FAILED]: TaskDecisionPayload;
  [WorkflowEvents.TASK_REENQUEUE_DELAYED]: TaskDecisionPayload;
  [WorkflowEvents.TASK_STATE_UNCLEAR]: TaskDecisionPayload;
  [WorkflowEvents.STEP_EXECUTION_FAILED]: StepFailedPayload;
  [WorkflowEvents.VIABLE_STEPS_BATCH_READY]: StepSetPayload;
  [WorkflowEvents.STEPS_EXECUTION_STARTED]: StepSetPayload;
  [WorkflowEvents.STEPS_EXECUTION_COMPLETED]: StepSetPayload;

  [ObservabilityEvents.TASK_HANDLE]: TaskEventPayload;
  [ObservabilityEvents.TASK_ENQUEUE]: TaskEnqueuePayload;
  [ObservabilityEvents.TASK_FINALIZE]: TaskDecisionPayload;
  [ObservabilityEvents.STEP_HANDLE]: StepEventPayload;
  [ObservabilityEvents.STEP_FIND_VIABLE]: StepSetPayload;
  [ObservabilityEvents.STEP_BACKOFF]: StepBackoffPayload;
  [ObservabilityEvents.STEP_SKIP]: StepSkipPayload;
  [ObservabilityEvents.STEP_MAX_RETRIES_REACHED]: StepMaxRetriesPayload;

  [SystemEvents.DATABASE_QUERY_EXECUTED]: DatabaseQueryPayload;
  [SystemEvents.DEPENDENCY_RESOLVED]: DependencyResolvedPayload;
  [SystemEvents.BATCH_STEP_EXECUTION]: BatchStepExecutionPayload;
  [SystemEvents.MEMORY_SPIKE_DETECTED]: MemorySpikePayload;
  [SystemEvents.PERFORMANCE_SLOW_OPERATION]: SlowOperationPayload;
}

/** The payload type of event `N`: its catalog (or augmented) type, else `unknown`. */
export type PayloadOf<N extends string> = N extends keyof EventPayloadMap ? EventPayloadMap[N] : unknown;
