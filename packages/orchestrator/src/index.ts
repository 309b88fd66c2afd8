/**
 * `@tasker/orchestrator`: task definitions (TypeScript, YAML or JSON), a versioned registry,
 * task and step state machines, and the durable engine that runs step DAGs on PGlite or
 * PostgreSQL.
 */

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
export type { BackoffOverride, BackoffPolicy } from './engine/backoff';
export { backoffDelay, DEFAULT_BACKOFF } from './engine/backoff';
export type { PermanentErrorOptions, RetryableErrorOptions, TaskerErrorCode } from './errors';
export {
  InvalidTransitionError,
  isPermanentError,
  isRetryableError,
  isTaskerError,
  PermanentError,
  RetryableError,
  TaskerError,
} from './errors';
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
