import {
  ObservabilityEvents as O,
  StepEvents as S,
  TaskEvents as T,
  WorkflowEvents as W,
  SystemEvents as Y,
} from './catalog';
import { createEventMapping, type EventMapping, type EventMappingInput } from './event-mapping';

const TM = ['trace', 'metrics'];

/**
 * The original Ruby Tasker's default routing table (`EventRouter#configure_default_mappings`),
 * entry for entry. Kept apart so that the improvements below stay visible.
 */
const ORIGINAL_TABLE: readonly EventMappingInput[] = [
  { eventName: T.INITIALIZE_REQUESTED, backends: TM },
  { eventName: T.START_REQUESTED, backends: TM },
  { eventName: T.COMPLETED, backends: TM },
  { eventName: T.FAILED, backends: TM },
  { eventName: S.EXECUTION_REQUESTED, backends: TM },
  { eventName: S.COMPLETED, backends: TM },
  { eventName: S.FAILED, backends: TM },
  { eventName: S.RETRY_REQUESTED, backends: TM },
  { eventName: W.VIABLE_STEPS_DISCOVERED, backends: TM },
  { eventName: O.TASK_ENQUEUE, backends: ['metrics'], priority: 'high' },
  { eventName: O.TASK_FINALIZE, backends: ['trace'] },
  { eventName: O.STEP_BACKOFF, backends: TM },
  { eventName: O.STEP_FIND_VIABLE, backends: ['trace'] },
  { eventName: O.STEP_HANDLE, backends: ['trace'] },
  { eventName: O.STEP_SKIP, backends: TM },
  { eventName: O.STEP_MAX_RETRIES_REACHED, backends: TM, priority: 'high' },
  { eventName: S.BEFORE_HANDLE, backends: ['trace'] },
  { eventName: Y.DATABASE_QUERY_EXECUTED, backends: TM, samplingRate: 0.1 },
  { eventName: Y.DEPENDENCY_RESOLVED, backends: ['trace'] },
  { eventName: Y.BATCH_STEP_EXECUTION, backends: TM },
  { eventName: Y.MEMORY_SPIKE_DETECTED, backends: ['metrics'], priority: 'critical' },
  { eventName: Y.PERFORMANCE_SLOW_OPERATION, backends: TM, priority: 'high' },
];

/** Events the original routed nowhere: cancellations, manual resolutions, task retries. */
const ADDED_TO_TRACE_AND_METRICS: readonly string[] = [
  T.CANCELLED,
  T.RESOLVED_MANUALLY,
  T.RETRY_REQUESTED,
  S.CANCELLED,
  S.RESOLVED_MANUALLY,
];

/** Outcomes the original never logged. */
const ADDED_TO_LOGS: readonly string[] = [
  T.COMPLETED,
  T.FAILED,
  T.CANCELLED,
  T.RESOLVED_MANUALLY,
  T.RETRY_REQUESTED,
  S.COMPLETED,
  S.FAILED,
  S.CANCELLED,
  S.RESOLVED_MANUALLY,
  S.RETRY_REQUESTED,
  O.STEP_MAX_RETRIES_REACHED,
];

function build(inputs: readonly EventMappingInput[]): readonly EventMapping[] {
  return Object.freeze(inputs.map((input) => createEventMapping(input)));
}

/** The original Tasker's default table, unchanged (22 mappings). */
export const ORIGINAL_EVENT_MAPPINGS: readonly EventMapping[] = build(ORIGINAL_TABLE);

/**
 * The default routing table of `createEventRouter`: the original's, plus cancellations,
 * manual resolutions and task retries to trace and metrics, and every task and step outcome
 * (and `observability.step.max_retries_reached`) to logs as well.
 */
export const DEFAULT_EVENT_MAPPINGS: readonly EventMapping[] = build([
  ...ORIGINAL_TABLE.map((entry) =>
    ADDED_TO_LOGS.includes(entry.eventName)
      ? { ...entry, backends: [...(entry.backends ?? []), 'logs'] }
      : entry,
  ),
  ...ADDED_TO_TRACE_AND_METRICS.map((eventName) => ({
    eventName,
    backends: ADDED_TO_LOGS.includes(eventName) ? [...TM, 'logs'] : TM,
  })),
]);
