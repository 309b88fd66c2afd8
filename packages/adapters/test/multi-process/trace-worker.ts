/**
 * One traced engine process for the cross-process trace test. It runs `xp.order` steps from the
 * database in TASKER_XP_DATABASE_URL with the real OpenTelemetry SDK (NodeTracerProvider made
 * with Tasker's id generator, an in-memory exporter), prints `ready`, and on SIGTERM stops,
 * flushes, and prints every span it exported as one JSON line (`spans\t{...}`).
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createPostgresStore, createTasker } from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import { createTaskerIdGenerator, createTaskerTracing } from '../../src/otel/index';
import { traceHandlers, traceTask } from './trace-task';

const exporter = new InMemorySpanExporter();
const idGenerator = createTaskerIdGenerator();
const provider = new NodeTracerProvider({ idGenerator, spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const tracing = createTaskerTracing({ tracer: provider.getTracer('tasker'), idGenerator });
const router = createEventRouter({ backends: { trace: tracing.backend } });
const store = await createPostgresStore({
  connectionString: process.env.TASKER_XP_DATABASE_URL as string,
  poolSize: 4,
});
const tasker = createTasker({
  store,
  router,
  tasks: [traceTask],
  handlers: traceHandlers,
  middleware: [tracing.middleware],
  config: { engine: { pollIntervalMs: 50, batchSize: 2 }, execution: { concurrency: 3 } },
  onError: (error, during) => process.stdout.write(`error\t${during}\t${String(error)}\n`),
});
await tasker.start();
process.stdout.write('ready\n');

process.on('SIGTERM', async () => {
  await tasker.stop();
  tracing.flush();
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    start: s.startTime,
    end: s.endTime,
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes ?? {}, time: e.time })),
    status: s.status,
  }));
  process.stdout.write(`spans\t${JSON.stringify({ pid: process.pid, spans })}\n`);
  await store.close();
  await provider.shutdown();
  process.exit(0);
});
