/**
 * One traced engine process for the crash-events test. It runs `ce.chain` steps from the
 * database in TASKER_CE_DATABASE_URL with the real OpenTelemetry SDK and Tasker's trace
 * backend, with the engine's defaults for leases and heartbeats. Every event its router
 * delivers and every span it ends is written at once, synchronously, to the file TASKER_CE_OUT
 * (one JSON line each, before the backend returns): a SIGKILL cannot take back what it
 * delivered. It prints `ready` once started and stops cleanly on SIGTERM.
 *
 * With TASKER_CE_SPARE=1 it is a spare, loaded ahead of its turn: it prints `loaded` once its
 * code is loaded and its store made, and starts the engine (then prints `ready`) on SIGUSR2.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createPostgresStore, createTasker } from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import { createTaskerIdGenerator, createTaskerTracing } from '../../src/otel/index';
import { crashChain, crashHandlers, keyFields } from './crash-events-task';

const out = openSync(process.env.TASKER_CE_OUT as string, 'a');
const write = (record: Record<string, unknown>) => writeSync(out, `${JSON.stringify(record)}\n`);

/** Hands every ended span over at once. */
const handOver: SpanProcessor = {
  onStart: () => {},
  onEnd: (span: ReadableSpan) =>
    write({
      kind: 'span',
      name: span.name,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      taskId: span.attributes['tasker.task_id'],
    }),
  forceFlush: async () => {},
  shutdown: async () => {},
};

const idGenerator = createTaskerIdGenerator();
const provider = new NodeTracerProvider({ idGenerator, spanProcessors: [handOver] });
const tracing = createTaskerTracing({ tracer: provider.getTracer('tasker'), idGenerator });
const router = createEventRouter({
  mappings: [{ eventName: '**', backends: ['handover', 'trace'], priority: 'critical' }],
  backends: {
    trace: tracing.backend,
    handover: {
      name: 'handover',
      handle: (event) => {
        const p = event.payload as Record<string, unknown>;
        write({
          kind: 'event',
          id: event.id,
          name: event.name,
          fields: keyFields(p),
        });
      },
    },
  },
});
const store = await createPostgresStore({
  connectionString: process.env.TASKER_CE_DATABASE_URL as string,
  poolSize: 4,
});
const tasker = createTasker({
  store,
  router,
  tasks: [crashChain],
  handlers: crashHandlers,
  middleware: [tracing.middleware],
  config: { engine: { pollIntervalMs: 200 }, execution: { concurrency: 8 } },
  onError: (error, during) =>
    process.stderr.write(`[crash worker ${process.pid}] ${during}: ${String(error)}\n`),
});
if (process.env.TASKER_CE_SPARE === '1') {
  // A timer keeps the process alive while it waits: a pending promise alone does not.
  const idle = setInterval(() => {}, 60_000);
  const go = new Promise((resolve) => process.once('SIGUSR2', resolve));
  process.stdout.write('loaded\n');
  await go;
  clearInterval(idle);
}
await tasker.start();
process.stdout.write('ready\n');

process.on('SIGTERM', async () => {
  await tasker.stop();
  tracing.flush();
  await provider.forceFlush();
  await store.close();
  closeSync(out);
  process.exit(0);
});
