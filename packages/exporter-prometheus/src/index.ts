/**
 * `@tasker/exporter-prometheus`: turns `@tasker/metrics-native` snapshots into the Prometheus
 * text format 0.0.4 or OpenMetrics 1.0, serves them over HTTP, and pushes them to a Pushgateway.
 */

export type { ExpositionFormat } from './content-type';
export {
  acceptsGzip,
  contentTypeOf,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from './content-type';
export type { ExporterErrorCode } from './errors';
export { ExporterError, isExporterError } from './errors';
export type {
  FetchHandler,
  MetricsHandlerOptions,
  MetricsRegistry,
  NodeHandler,
  ScrapeResult,
} from './metrics-handler';
export { createMetricsHandler, createNodeMetricsHandler } from './metrics-handler';
export type { MetricsServer, MetricsServerOptions } from './metrics-server';
export { startMetricsServer } from './metrics-server';
export type { Pushgateway, PushgatewayOptions } from './pushgateway';
export { createPushgateway } from './pushgateway';
export type { ChunkedSerializeOptions, SerializeOptions, Serializer } from './serializer';
export { createSerializer, serialize } from './serializer';
