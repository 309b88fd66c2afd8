/**
 * The system event catalog: every lifecycle event the orchestrator publishes. Names are the
 * original Ruby Tasker's (`Tasker::Constants::*Events`), so dashboards and routing tables carry
 * over unchanged. Payload types live in `payloads.ts`.
 */

/** Task lifecycle events (8). */
export const TaskEvents = {
  INITIALIZE_REQUESTED: 'task.initialize_requested',
  START_REQUESTED: 'task.start_requested',
  COMPLETED: 'task.completed',
  FAILED: 'task.failed',
  RETRY_REQUESTED: 'task.retry_requested',
  CANCELLED: 'task.cancelled',
  RESOLVED_MANUALLY: 'task.resolved_manually',
  BEFORE_TRANSITION: 'task.before_transition',
} as const;

/** Step lifecycle events (10). */
export const StepEvents = {
  INITIALIZE_REQUESTED: 'step.initialize_requested',
  EXECUTION_REQUESTED: 'step.execution_requested',
  BEFORE_HANDLE: 'step.before_handle',
  HANDLE: 'step.handle',
  COMPLETED: 'step.completed',
  FAILED: 'step.failed',
  RETRY_REQUESTED: 'step.retry_requested',
  CANCELLED: 'step.cancelled',
  RESOLVED_MANUALLY: 'step.resolved_manually',
  BEFORE_TRANSITION: 'step.before_transition',
} as const;

/** Workflow orchestration events (19). */
export const WorkflowEvents = {
  TASK_STARTED: 'workflow.task_started',
  TASK_COMPLETED: 'workflow.task_completed',
  TASK_FAILED: 'workflow.task_failed',
  STEP_COMPLETED: 'workflow.step_completed',
  STEP_FAILED: 'workflow.step_failed',
  VIABLE_STEPS_DISCOVERED: 'workflow.viable_steps_discovered',
  NO_VIABLE_STEPS: 'workflow.no_viable_steps',
  ORCHESTRATION_REQUESTED: 'workflow.orchestration_requested',
  TASK_FINALIZATION_STARTED: 'workflow.task_finalization_started',
  TASK_FINALIZATION_COMPLETED: 'workflow.task_finalization_completed',
  TASK_REENQUEUE_STARTED: 'workflow.task_reenqueue_started',
  TASK_REENQUEUE_REQUESTED: 'workflow.task_reenqueue_requested',
  TASK_REENQUEUE_FAILED: 'workflow.task_reenqueue_failed',
  TASK_REENQUEUE_DELAYED: 'workflow.task_reenqueue_delayed',
  TASK_STATE_UNCLEAR: 'workflow.task_state_unclear',
  STEP_EXECUTION_FAILED: 'workflow.step_execution_failed',
  VIABLE_STEPS_BATCH_READY: 'workflow.viable_steps_batch_ready',
  STEPS_EXECUTION_STARTED: 'workflow.steps_execution_started',
  STEPS_EXECUTION_COMPLETED: 'workflow.steps_execution_completed',
} as const;

/** Observability events (8): enqueue, finalisation, backoff and the like. */
export const ObservabilityEvents = {
  TASK_HANDLE: 'observability.task.handle',
  TASK_ENQUEUE: 'observability.task.enqueue',
  TASK_FINALIZE: 'observability.task.finalize',
  STEP_HANDLE: 'observability.step.handle',
  STEP_FIND_VIABLE: 'observability.step.find_viable',
  STEP_BACKOFF: 'observability.step.backoff',
  STEP_SKIP: 'observability.step.skip',
  STEP_MAX_RETRIES_REACHED: 'observability.step.max_retries_reached',
} as const;

/** System events (5): database, dependency, batch, memory and performance signals. */
export const SystemEvents = {
  DATABASE_QUERY_EXECUTED: 'database.query_executed',
  DEPENDENCY_RESOLVED: 'dependency.resolved',
  BATCH_STEP_EXECUTION: 'batch.step_execution',
  MEMORY_SPIKE_DETECTED: 'memory.spike_detected',
  PERFORMANCE_SLOW_OPERATION: 'performance.slow_operation',
} as const;

type ValueOf<T> = T[keyof T];

export type TaskEventName = ValueOf<typeof TaskEvents>;
export type StepEventName = ValueOf<typeof StepEvents>;
export type WorkflowEventName = ValueOf<typeof WorkflowEvents>;
export type ObservabilityEventName = ValueOf<typeof ObservabilityEvents>;
export type SystemEventName = ValueOf<typeof SystemEvents>;

/** Any event name of the system catalog. */
export type CatalogEventName =
  | TaskEventName
  | StepEventName
  | WorkflowEventName
  | ObservabilityEventName
  | SystemEventName;

/** Every catalog event name, in catalog order (50 names). */
export const CATALOG_EVENT_NAMES: readonly CatalogEventName[] = Object.freeze([
  ...Object.values(TaskEvents),
  ...Object.values(StepEvents),
  ...Object.values(WorkflowEvents),
  ...Object.values(ObservabilityEvents),
  ...Object.values(SystemEvents),
]);

const CATALOG_SET: ReadonlySet<string> = new Set(CATALOG_EVENT_NAMES);

/** True when `name` is an event of the system catalog. */
export function isCatalogEvent(name: string): name is CatalogEventName {
  return CATALOG_SET.has(name);
}

/**
 * First segments that custom events may not use: the catalog's namespaces, plus `test`
 * (reserved, as in the original, for the library's own test events).
 */
export const RESERVED_EVENT_NAMESPACES: readonly string[] = Object.freeze([
  'task',
  'step',
  'workflow',
  'observability',
  'database',
  'dependency',
  'batch',
  'memory',
  'performance',
  'test',
]);
