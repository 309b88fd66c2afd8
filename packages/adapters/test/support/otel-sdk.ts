/**
 * The real OpenTelemetry SDK for tests: a NodeTracerProvider made with Tasker's id generator,
 * an in-memory exporter behind a simple processor, and the AsyncLocalStorage context manager
 * (registered once per test file: vitest runs each file in its own process).
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createTaskerIdGenerator, type TaskerIdGenerator } from '../../src/otel/index';

export interface TestTracing {
  readonly provider: NodeTracerProvider;
  readonly exporter: InMemorySpanExporter;
  readonly idGenerator: TaskerIdGenerator;
}

let registered = false;

export function testTracing(options: { withIdGenerator?: boolean } = {}): TestTracing {
  const exporter = new InMemorySpanExporter();
  const idGenerator = createTaskerIdGenerator();
  const provider = new NodeTracerProvider({
    ...(options.withIdGenerator === false ? {} : { idGenerator }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  if (!registered) {
    provider.register();
    registered = true;
  }
  return { provider, exporter, idGenerator };
}
