import type { CatalogEventName } from '@tasker/router';

/**
 * What each kind of backend records, as the router's contract suite checks it
 * (`RecordedProbe.events`): the catalog events of which each adds exactly one to the backend's
 * count when handled with its sample payload. Written out here, not read from the backends, so
 * that a backend which stops recording one of them fails its contract.
 */

/** Every metrics backend (native, prom-client, OpenTelemetry) counts these in `stats().recorded`. */
export const METRICS_RECORDED_EVENTS: readonly CatalogEventName[] = [
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.resolved_manually',
  'step.execution_requested',
  'step.completed',
  'step.failed',
  'step.retry_requested',
  'step.cancelled',
  'step.resolved_manually',
  'observability.step.skip',
];

/** The trace backend emits a task's root span (`stats().rootSpans`) when the task ends. */
export const TRACE_RECORDED_EVENTS: readonly CatalogEventName[] = [
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.resolved_manually',
];
