/**
 * `@tasker/adapters`: router backends and bridges for telemetry stacks. Each adapter is its own
 * subpath export with its SDK as an optional peer dependency:
 *
 * - `@tasker/adapters/otel`: OpenTelemetry traces (task → step attempt → the handler's spans,
 *   across processes), metrics on a `Meter`, and a bridge of native metrics to a MeterProvider;
 * - `@tasker/adapters/prom-client`: a backend into a prom-client registry, and a bridge that
 *   exposes a native registry through one;
 * - `@tasker/adapters/native`: lifecycle events into a `@tasker/metrics-native` registry;
 * - `@tasker/adapters/logs`: structured log lines through a pino-compatible logger.
 *
 * This root entry holds only what they share and loads no SDK.
 */
export type { AdapterErrorCode } from './shared/errors';
export { AdapterError, isAdapterError } from './shared/errors';
