/**
 * `@tasker/adapters/otel`: OpenTelemetry for Tasker, on `@opentelemetry/api` only (an optional
 * peer dependency): traces (a task is one trace, across processes), lifecycle metrics on your
 * meter, and a bridge that exposes a `@tasker/metrics-native` registry through a meter.
 */
export type { AdapterErrorCode } from '../shared/errors';
export { AdapterError, isAdapterError } from '../shared/errors';
export type { MetricsBackendStats, StepOutcome, TaskOutcome } from '../shared/lifecycle-metrics';
export type { MeterBridge, MeterBridgeOptions } from './meter-bridge';
export { BRIDGE_GAUGE, bridgeMetricsToMeter } from './meter-bridge';
export type {
  MetricProducerShape,
  ProducedCollection,
  ProducedDataPoint,
  ProducedDescriptor,
  ProducedHistogram,
  ProducedMetric,
  ProducedResource,
  ProducedScope,
} from './metric-producer-shape';
export type { MetricsBackend } from './metrics-backend';
export type { NativeMetricProducerOptions, NativeMetricScope } from './native-metric-producer';
export { createNativeMetricProducer } from './native-metric-producer';
export type { OtelMetricsBackendOptions } from './otel-metrics-backend';
export { createOtelMetricsBackend, OTEL_METRIC_NAMES } from './otel-metrics-backend';
export { DEFAULT_SENSITIVE_FIELDS, FILTERED } from './sensitive-attributes';
export type { TracedStepInfo, TracingMiddleware } from './step-middleware';
export { STEP_SPAN_NAME } from './step-middleware';
export type { IdGenerator, TaskerIdGenerator } from './task-id-generator';
export { createTaskerIdGenerator } from './task-id-generator';
export type { TraceBackend, TraceBackendStats } from './task-trace-backend';
export { TASK_SPAN_NAME } from './task-trace-backend';
export type { TaskTrace } from './task-trace-record';
export { readTaskTrace } from './task-trace-record';
export type { TaskerTracing, TaskerTracingOptions } from './task-tracing';
export { createTaskerTracing } from './task-tracing';
