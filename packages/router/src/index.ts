/**
 * `@tasker/router`: the system event catalog, event mappings and the event router that sends
 * lifecycle events to trace, metrics, logs or custom backends, with sampling and priority.
 */

export type { RoutedEvent, RouterBackend } from './backend';
export type { BackendStats } from './backend-delivery';
export type {
  CatalogEventName,
  ObservabilityEventName,
  StepEventName,
  SystemEventName,
  TaskEventName,
  WorkflowEventName,
} from './catalog';
export {
  CATALOG_EVENT_NAMES,
  isCatalogEvent,
  ObservabilityEvents,
  RESERVED_EVENT_NAMESPACES,
  StepEvents,
  SystemEvents,
  TaskEvents,
  WorkflowEvents,
} from './catalog';
export { keepsKey, samplingHash, samplingThreshold } from './consistent-sampling';
export type { CustomEventDefinition, CustomEventInput } from './custom-events';
export { DEFAULT_EVENT_MAPPINGS, ORIGINAL_EVENT_MAPPINGS } from './default-mappings';
export type { RouterErrorCode } from './errors';
export { isRouterError, RouterError } from './errors';
export type { EventMapping, EventMappingInput, EventMappingOptions, EventPriority } from './event-mapping';
export { BACKEND_NAME, createEventMapping, EVENT_PRIORITIES } from './event-mapping';
export type { EventRouter } from './event-router';
export { createEventRouter } from './event-router';
export type { TapOptions, TapStats } from './event-taps';
export type { MappingDecision, MappingLayer } from './mapping-layers';
export type {
  BatchStepExecutionPayload,
  DatabaseQueryPayload,
  DependencyResolvedPayload,
  EventError,
  EventPayloadMap,
  MemorySpikePayload,
  PayloadOf,
  SlowOperationPayload,
  StepBackoffPayload,
  StepEventPayload,
  StepFailedPayload,
  StepManualPayload,
  StepMaxRetriesPayload,
  StepRetryPayload,
  StepSetPayload,
  StepSkipPayload,
  StepTransitionPayload,
  TaskDecisionPayload,
  TaskEnqueuePayload,
  TaskEventPayload,
  TaskFailedPayload,
  TaskManualPayload,
  TaskRetryPayload,
  TaskTransitionPayload,
  TraceContext,
} from './payloads';
export type { BackendErrorContext, EventRouterOptions, PendingLimits } from './router-options';
export type { RouterStats } from './router-stats';
