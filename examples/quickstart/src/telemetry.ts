/**
 * The quickstart's telemetry stack, as an application would wire it:
 *
 * - traces: the OpenTelemetry SDK with Tasker's id generator, sending spans over OTLP/HTTP when
 *   `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, else printing
 *   them with the console exporter when `verbose`, else exporting nothing (the spans still give
 *   the metrics their trace-id exemplars);
 * - metrics: a `@tasker/metrics-native` registry fed by the native backend and served by
 *   `@tasker/exporter-prometheus`'s handler;
 * - logs: pino, one JSON line per task and step outcome, when `verbose`.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createLogsBackend, levelOf } from '@tasker/adapters/logs';
import { createNativeMetricsBackend } from '@tasker/adapters/native';
import { createTaskerIdGenerator, createTaskerTracing, type TaskerTracing } from '@tasker/adapters/otel';
import { createMetricsHandler } from '@tasker/exporter-prometheus';
import { createRegistry, type Registry } from '@tasker/metrics-native';
import { createEventRouter, type EventRouter } from '@tasker/router';
import pino from 'pino';

export interface Telemetry {
  readonly router: EventRouter;
  readonly tracing: TaskerTracing;
  readonly registry: Registry;
  readonly metricsHandler: (request: Request) => Promise<Response>;
  /** Where traces go: the OTLP endpoint, `console`, or nowhere (`off`). */
  readonly traces: string;
  /** Ends waiting spans and flushes the exporter. */
  shutdown(): Promise<void>;
}

/** Options of {@link createTelemetry}. */
export interface TelemetryOptions {
  /** Print every span and log line to stdout. */
  readonly verbose: boolean;
}

export function createTelemetry({ verbose }: TelemetryOptions): Telemetry {
  const endpoint =
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT || '';
  const otlp = endpoint !== '';
  const processors: SpanProcessor[] = otlp
    ? [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500 })]
    : verbose
      ? [new SimpleSpanProcessor(new ConsoleSpanExporter())]
      : [];
  const idGenerator = createTaskerIdGenerator();
  const provider = new NodeTracerProvider({
    idGenerator,
    resource: resourceFromAttributes({ 'service.name': 'tasker-quickstart' }),
    spanProcessors: processors,
  });
  // Registers the context manager that carries each step span into its handler.
  provider.register();
  const tracing = createTaskerTracing({ tracer: provider.getTracer('tasker'), idGenerator });

  const registry = createRegistry();
  const logger = pino(
    { base: { service: 'tasker-quickstart' }, enabled: verbose },
    pino.destination({ dest: 1, sync: true }),
  );
  const router = createEventRouter({
    backends: {
      trace: tracing.backend,
      metrics: createNativeMetricsBackend({ registry }),
      // The shop's own events at info; the rest by outcome (failed → error, retry → warn, …).
      logs: createLogsBackend({
        logger,
        level: (name) => (name.startsWith('shop.') ? 'info' : levelOf(name)),
      }),
    },
  });
  // The order's custom event: an event on its step span, and a log line.
  router.map('shop.*', { backends: ['trace', 'logs'] });

  return {
    router,
    tracing,
    registry,
    metricsHandler: createMetricsHandler({ registry }),
    traces: otlp ? endpoint : verbose ? 'console' : 'off',
    async shutdown() {
      tracing.flush();
      await provider.shutdown();
    },
  };
}
