import {
  type CatalogEventName,
  ObservabilityEvents as O,
  StepEvents as S,
  TaskEvents as T,
  WorkflowEvents as W,
  SystemEvents as Y,
} from '../catalog';
import type { EventPayloadMap, StepEventPayload, TaskEventPayload } from '../payloads';

const BASE_TIME = Date.UTC(2026, 0, 1, 12, 0, 0);

const task: TaskEventPayload = {
  taskId: 'task-0001',
  namespace: 'ecommerce',
  taskName: 'process_order',
  version: '1.2.0',
  requestedAt: BASE_TIME,
  startedAt: BASE_TIME + 5,
  endedAt: BASE_TIME + 125,
  durationMs: 120,
  traceContext: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
};

const step: StepEventPayload = {
  ...task,
  stepId: 'step-0001',
  stepName: 'charge_card',
  attempt: 1,
  retryLimit: 3,
};
const error = { name: 'CardDeclinedError', message: 'card declined', code: 'card_declined' };
const steps = { stepIds: ['step-0001', 'step-0002'], stepNames: ['charge_card', 'send_receipt'], count: 2 };

/**
 * A complete, realistic payload for every catalog event: what the orchestrator publishes.
 * Backend tests feed these to `handle`.
 */
export const SAMPLE_PAYLOADS: { readonly [N in CatalogEventName]: EventPayloadMap[N] } = {
  [T.INITIALIZE_REQUESTED]: task,
  [T.START_REQUESTED]: task,
  [T.COMPLETED]: task,
  [T.FAILED]: { ...task, error },
  [T.RETRY_REQUESTED]: { ...task, reason: 'failed steps reset' },
  [T.CANCELLED]: { ...task, reason: 'customer cancelled', actor: 'api' },
  [T.RESOLVED_MANUALLY]: { ...task, reason: 'refunded by hand', actor: 'ops' },
  [T.BEFORE_TRANSITION]: { ...task, fromState: 'pending', toState: 'in_progress' },

  [S.INITIALIZE_REQUESTED]: step,
  [S.EXECUTION_REQUESTED]: step,
  [S.BEFORE_HANDLE]: step,
  [S.HANDLE]: step,
  [S.COMPLETED]: step,
  [S.FAILED]: { ...step, error, retryable: true },
  [S.RETRY_REQUESTED]: { ...step, attempt: 2, backoffMs: 1000, nextAttemptAt: BASE_TIME + 1125, error },
  [S.CANCELLED]: { ...step, reason: 'task cancelled' },
  [S.RESOLVED_MANUALLY]: { ...step, reason: 'charged by phone', actor: 'ops' },
  [S.BEFORE_TRANSITION]: { ...step, fromState: 'pending', toState: 'in_progress' },

  [W.TASK_STARTED]: task,
  [W.TASK_COMPLETED]: task,
  [W.TASK_FAILED]: { ...task, error },
  [W.STEP_COMPLETED]: step,
  [W.STEP_FAILED]: { ...step, error },
  [W.VIABLE_STEPS_DISCOVERED]: { ...task, ...steps },
  [W.NO_VIABLE_STEPS]: { ...task, reason: 'waiting for retries' },
  [W.ORCHESTRATION_REQUESTED]: task,
  [W.TASK_FINALIZATION_STARTED]: { ...task, status: 'in_progress' },
  [W.TASK_FINALIZATION_COMPLETED]: { ...task, status: 'complete' },
  [W.TASK_REENQUEUE_STARTED]: { ...task, reason: 'steps waiting for retry' },
  [W.TASK_REENQUEUE_REQUESTED]: { ...task, reason: 'steps waiting for retry', delayMs: 1000 },
  [W.TASK_REENQUEUE_FAILED]: { ...task, reason: 'queue unavailable', error },
  [W.TASK_REENQUEUE_DELAYED]: { ...task, reason: 'backoff', delayMs: 2000 },
  [W.TASK_STATE_UNCLEAR]: { ...task, status: 'in_progress', reason: 'no runnable and no pending steps' },
  [W.STEP_EXECUTION_FAILED]: { ...step, error },
  [W.VIABLE_STEPS_BATCH_READY]: { ...task, ...steps },
  [W.STEPS_EXECUTION_STARTED]: { ...task, ...steps },
  [W.STEPS_EXECUTION_COMPLETED]: { ...task, ...steps },

  [O.TASK_HANDLE]: task,
  [O.TASK_ENQUEUE]: { ...task, queue: 'default', delayMs: 0 },
  [O.TASK_FINALIZE]: { ...task, status: 'complete' },
  [O.STEP_HANDLE]: step,
  [O.STEP_FIND_VIABLE]: { ...task, ...steps },
  [O.STEP_BACKOFF]: {
    ...step,
    attempt: 2,
    backoffMs: 2000,
    nextAttemptAt: BASE_TIME + 2125,
    retryAfterMs: 2000,
  },
  [O.STEP_SKIP]: { ...step, reason: 'skippable step with failed parent' },
  [O.STEP_MAX_RETRIES_REACHED]: { ...step, attempt: 3, error },

  [Y.DATABASE_QUERY_EXECUTED]: {
    operation: 'claim_steps',
    durationMs: 1.7,
    table: 'tasker_workflow_steps',
    rowCount: 2,
  },
  [Y.DEPENDENCY_RESOLVED]: { ...task, stepName: 'send_receipt', dependencyName: 'charge_card' },
  [Y.BATCH_STEP_EXECUTION]: { ...task, stepIds: ['step-0001', 'step-0002'], count: 2 },
  [Y.MEMORY_SPIKE_DETECTED]: {
    heapUsedBytes: 900_000_000,
    thresholdBytes: 800_000_000,
    rssBytes: 1_100_000_000,
  },
  [Y.PERFORMANCE_SLOW_OPERATION]: {
    operation: 'step.handle',
    durationMs: 5400,
    thresholdMs: 5000,
    stepName: 'charge_card',
  },
};
