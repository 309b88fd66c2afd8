/**
 * `@tasker/adapters/prom-client`: a router backend that records lifecycle events into your
 * prom-client registry, and a bridge that exposes a `@tasker/metrics-native` registry through
 * one. prom-client is an optional peer dependency, needed only by this entry point.
 */
export { METRIC_NAMES } from '../native/metric-names';
export type { MetricsBackend } from '../native/native-metrics-backend';
export type { AdapterErrorCode } from '../shared/errors';
export { AdapterError, isAdapterError } from '../shared/errors';
export type { MetricsBackendStats, StepOutcome, TaskOutcome } from '../shared/lifecycle-metrics';
export type { PromClientBackendOptions } from './prom-client-backend';
export { createPromClientBackend } from './prom-client-backend';
export type { PromClientBridge, PromClientBridgeOptions } from './prom-client-bridge';
export { bridgeMetricsToPromClient, PROM_BRIDGE_GAUGE } from './prom-client-bridge';
