/**
 * `@tasker/orchestrator`: task definitions (TypeScript, YAML or JSON), a versioned registry,
 * task and step state machines, and the durable engine that runs step DAGs on PGlite or
 * PostgreSQL.
 */

export type { TaskerConfig, TaskerConfigInput } from './config/config-schema';
export { configSchema, parseConfig } from './config/config-schema';
export { loadConfig } from './config/load-config';
export type {
  ContextSchema,
  ContextValidation,
  ContextValidator,
  JsonSchema,
  ZodLikeSchema,
} from './definitions/context-schema';
export type {
  CustomEventInput,
  StepTemplate,
  StepTemplateInput,
  TaskDefinition,
  TaskDefinitionInput,
} from './definitions/define-task';
export { defineTask } from './definitions/define-task';
export type { LoadDefinitionOptions } from './definitions/load-definition';
export {
  loadTaskDefinition,
  parseTaskDefinition,
  taskDefinitionFromDocument,
} from './definitions/load-definition';
export type { CatchUp, ScheduleInput, ScheduleTiming } from './definitions/schedule-spec';
export type { BackoffOverride, BackoffPolicy } from './engine/backoff';
export { backoffDelay, DEFAULT_BACKOFF } from './engine/backoff';
export type { Clock, ClockSample, ManualClock, SyncedClock, SyncedClockOptions } from './engine/clock';
export { createManualClock, createSyncedClock, systemClock } from './engine/clock';
export type { StepInfo, StepMiddleware } from './engine/middleware';
export type {
  RetentionPolicy,
  RetentionRunOptions,
  RetentionRunResult,
  RuleFigures,
} from './engine/retention';
export { pauseAfter, RETENTION_SWEPT_EVENT, retentionRules, runRetention } from './engine/retention';
export type {
  FiredScheduleSlot,
  ScheduleTickResult,
  SkippedScheduleSlots,
} from './engine/scheduler';
export { SCHEDULE_FIRED_EVENT, SCHEDULE_SKIPPED_EVENT, slotIdentityKey } from './engine/scheduler';
export type { ScheduleSpec, TaskerSchedules } from './engine/schedules';
export type { SubmitRequest } from './engine/submit';
export type { SubmitManyOptions } from './engine/submit-many';
export { DEFAULT_SUBMIT_BATCH_SIZE, MAX_SUBMIT_BATCH_SIZE } from './engine/submit-many';
export { createTasker } from './engine/tasker';
export type { SubmitResult, Tasker, TaskerOptions, TaskerStats } from './engine/tasker-types';
export type { PermanentErrorOptions, RetryableErrorOptions, TaskerErrorCode } from './errors';
export {
  BatchItemError,
  InvalidTransitionError,
  isBatchItemError,
  isPermanentError,
  isRetryableError,
  isSubmitManyError,
  isTaskerError,
  PermanentError,
  RetryableError,
  SubmitManyError,
  TaskerError,
} from './errors';
export type { HttpStepHandlerOptions, HttpStepResult } from './handlers/http-step-handler';
export { createHttpStepHandler, parseRetryAfter } from './handlers/http-step-handler';
export type { HandlerMap, StepContext, StepHandler } from './handlers/step-handler';
export type { RegisterOptions, TaskRef, TaskRegistry } from './registry/task-registry';
export { createTaskRegistry } from './registry/task-registry';
export type { StepState } from './states/step-states';
export {
  assertStepTransition,
  canTransitionStep,
  FINAL_STEP_STATES,
  SATISFIED_STEP_STATES,
  STEP_STATES,
  STEP_TRANSITIONS,
} from './states/step-states';
export type { TaskState } from './states/task-states';
export {
  assertTaskTransition,
  canTransitionTask,
  FINAL_TASK_STATES,
  TASK_STATES,
  TASK_TRANSITIONS,
} from './states/task-states';
export type { PgliteStoreOptions, PostgresStoreOptions } from './store/create-store';
export { createPgliteStore, createPostgresStore } from './store/create-store';
export type { CreatedTask, CreatedTasks } from './store/create-tasks-batch';
export type { PoolStats, QueryResult, SqlDriver, SqlExecutor } from './store/driver';
export type { ManualOptions } from './store/manual-operations';
export { migrate } from './store/migrate';
export type { Migration } from './store/migrations';
export { MIGRATIONS } from './store/migrations';
export type { PgliteDriverOptions, PgliteLike, PgliteTransactionLike } from './store/pglite-driver';
export { createPgliteDriver } from './store/pglite-driver';
export type {
  PgClientLike,
  PgPoolClientLike,
  PgPoolLike,
  PostgresDriverOptions,
} from './store/postgres-driver';
export { createPostgresDriver } from './store/postgres-driver';
export type {
  Change,
  ClaimedStep,
  JsonValue,
  OmittedValue,
  ReadySteps,
  StepRecord,
  StepTransitionRecord,
  TaskDetails,
  TaskInfo,
  TaskRecord,
  TaskSummary,
  TaskTransitionRecord,
  TransitionRecord,
  TransitionRow,
} from './store/records';
export type { SnapshotHorizon, StepSpan, StoreAudit } from './store/store-audit';
export type { QueryInfo, TransientRetryOptions } from './store/store-context';
export type {
  RetentionRule,
  RetentionRunFigures,
  RetentionRunRecord,
  StoreRetention,
  SweptCounts,
} from './store/store-retention';
export type {
  NewSchedule,
  ScheduleFields,
  ScheduleRecord,
  ScheduleSource,
  StoreSchedules,
} from './store/store-schedules';
export { DEFAULT_PAGE_BYTES, type TaskFilter, type TaskListItem, type TaskPage } from './store/task-reads';
export type { NewStep, NewTask, StepOutcome, TaskStoreOptions } from './store/task-store';
export { TaskStore } from './store/task-store';
export { isTransientDatabaseError } from './store/transient-errors';
