/**
 * `@tasker/adapters/native`: lifecycle events into a `@tasker/metrics-native` registry. No
 * third-party SDK: it needs only `@tasker/metrics-native`, a dependency of this package.
 */

export { DEFAULT_STEP_BUCKETS, DEFAULT_TASK_BUCKETS } from '../shared/backend-options';
export type { AdapterErrorCode } from '../shared/errors';
export { AdapterError, isAdapterError } from '../shared/errors';
export type {
  MetricsBackendStats,
  StepOutcome,
  TaskOutcome,
} from '../shared/lifecycle-metrics';
export { DEFAULT_LABEL_SET_LIMIT, OVERFLOW_LABEL_VALUE } from '../shared/lifecycle-metrics';
export { METRIC_NAMES } from './metric-names';
export type { MetricsBackend, NativeMetricsBackendOptions } from './native-metrics-backend';
export { createNativeMetricsBackend } from './native-metrics-backend';
