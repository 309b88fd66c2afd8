/**
 * The full telemetry stack of the adapters-overhead benchmark, as an application would wire it:
 * the router's default table to OpenTelemetry traces (the real SDK: a NodeTracerProvider with
 * Tasker's id generator and a batch processor in front of an exporter that drops what it gets),
 * native metrics and pino logs to a null sink; the tracing middleware and the submit hook on
 * the engine. Its counters let the benchmark check that telemetry really ran.
 */
import { Writable } from 'node:stream';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createLogsBackend } from '@tasker/adapters/logs';
import { createNativeMetricsBackend } from '@tasker/adapters/native';
import {
  createTaskerIdGenerator,
  createTaskerTracing,
  type TaskerTracing,
  type TracingMiddleware,
} from '@tasker/adapters/otel';
import { createRegistry, type Registry } from '@tasker/metrics-native';
import { createEventRouter, type EventRouter } from '@tasker/router';
import pino from 'pino';
import { createHandWiredTelemetry, type HandWiredTelemetry } from './adapters-overhead-hand';

/** Counts what it is given and drops it: the cost of a real exporter's I/O is not ours. */
class CountingExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.spans += spans.length;
    done({ code: 0 }); // ExportResultCode.SUCCESS
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}

export interface TelemetryStack {
  readonly router: EventRouter;
  readonly tracing: TaskerTracing;
  readonly registry: Registry;
  /**
   * The floor: a middleware that only starts and ends one bare span per step on the same SDK
   * (provider, id generator, batch processor, exporter), then runs the handler.
   */
  readonly bareSpans: TracingMiddleware;
  /**
   * The incumbent: the same spans, log lines and metrics written by hand with OpenTelemetry,
   * pino and prom-client in one middleware (`adapters-overhead-hand.ts`), on the same provider
   * and sink.
   */
  readonly hand: HandWiredTelemetry;
  /** Spans exported, log lines written. */
  counts(): Promise<{ spans: number; logLines: number; stepsCounted: number }>;
  shutdown(): Promise<void>;
}

export function createTelemetryStack(): TelemetryStack {
  const exporter = new CountingExporter();
  const idGenerator = createTaskerIdGenerator();
  const provider = new NodeTracerProvider({
    idGenerator,
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 1024 })],
  });
  provider.register();
  const tracing = createTaskerTracing({ tracer: provider.getTracer('tasker'), idGenerator });
  let logLines = 0;
  // pino writes strings: they are counted as they come, not turned into buffers and walked
  // byte by byte (the sink's own work is not the adapters').
  const sink = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      for (let i = chunk.indexOf('\n'); i >= 0; i = chunk.indexOf('\n', i + 1)) logLines++;
      done();
    },
  });
  const registry = createRegistry();
  const router = createEventRouter({
    backends: {
      trace: tracing.backend,
      metrics: createNativeMetricsBackend({ registry }),
      logs: createLogsBackend({ logger: pino(sink) }),
    },
  });
  const bare = provider.getTracer('floor');
  const hand = createHandWiredTelemetry(provider.getTracer('hand'), pino(sink));
  return {
    router,
    tracing,
    registry,
    hand,
    bareSpans: (_step, run) => {
      bare.startSpan('floor').end();
      return run();
    },
    async counts() {
      tracing.flush();
      await provider.forceFlush();
      const steps = registry.collect().families.find((f) => f.name === 'tasker_steps_total');
      let stepsCounted = 0;
      for (const s of steps?.series ?? []) if ('value' in s) stepsCounted += s.value;
      return { spans: exporter.spans, logLines, stepsCounted };
    },
    async shutdown() {
      await provider.shutdown();
    },
  };
}
