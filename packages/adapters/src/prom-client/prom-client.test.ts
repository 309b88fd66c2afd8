import { createRegistry } from '@tasker/metrics-native';
import { createEventMapping, type RoutedEvent } from '@tasker/router';
import { runBackendContract } from '@tasker/router/testing';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS_RECORDED_EVENTS } from '../../test/support/contract-probes';
import type { MetricsBackend } from '../native/native-metrics-backend';
import { createPromClientBackend } from './prom-client-backend';
import { bridgeMetricsToPromClient, PROM_BRIDGE_GAUGE } from './prom-client-bridge';

let nextId = 0;

function event(name: string, payload: unknown, samplingRate = 1): RoutedEvent {
  return {
    id: `event-${++nextId}`,
    name,
    payload,
    timestamp: 0,
    mapping: createEventMapping({ eventName: name, backends: ['metrics'] }),
    samplingRate,
  };
}

const task = { taskId: 't-1', namespace: 'shop', taskName: 'order', version: '1.0.0' };
const step = { ...task, stepId: 's-1', stepName: 'charge', attempt: 1, retryLimit: 3 };

runBackendContract(
  { describe, it, expect },
  {
    name: 'prom-client',
    create: () => createPromClientBackend({ registry: new Registry(), warn: () => {} }),
    recorded: {
      count: (backend) => (backend as MetricsBackend).stats().recorded,
      events: METRICS_RECORDED_EVENTS,
    },
  },
);

describe('createPromClientBackend', () => {
  it('records into the user’s registry with the Prometheus names, scaled by 1 / samplingRate', async () => {
    const registry = new Registry();
    const b = createPromClientBackend({ registry });
    b.handle(event('step.execution_requested', step));
    b.handle(event('step.completed', { ...step, durationMs: 30 }, 0.25));
    b.handle(event('step.retry_requested', { ...step, backoffMs: 1, nextAttemptAt: 1 }));
    b.handle(event('task.failed', { ...task, durationMs: 2500, error: { name: 'E', message: 'x' } }));
    const text = await registry.metrics();
    expect(text).toContain(
      'tasker_steps_total{namespace="shop",name="order",version="1.0.0",step="charge",outcome="completed"} 4',
    );
    expect(text).toContain(
      'tasker_step_retries_total{namespace="shop",name="order",version="1.0.0",step="charge"} 1',
    );
    expect(text).toContain(
      'tasker_steps_in_progress{namespace="shop",name="order",version="1.0.0",step="charge"} 0',
    );
    expect(text).toContain(
      'tasker_tasks_total{namespace="shop",name="order",version="1.0.0",outcome="failed"} 1',
    );
    expect(text).toContain(
      'tasker_task_duration_seconds_sum{namespace="shop",name="order",version="1.0.0",outcome="failed"} 2.5',
    );
    expect(text).toContain(
      'tasker_step_duration_seconds_bucket{le="0.05",namespace="shop",name="order",version="1.0.0",step="charge",outcome="completed"} 1',
    );
  });

  it('rejects a registry that is not one, naming the field', () => {
    expect(() => createPromClientBackend({ registry: {} as never })).toThrow(
      /registry: expected a prom-client Registry/,
    );
  });
});

describe('bridgeMetricsToPromClient', () => {
  it('serves native metrics from the existing prom-client registry next to its own', async () => {
    const promRegistry = new Registry();
    new Counter({ name: 'app_requests_total', help: 'Existing.', registers: [promRegistry] }).inc(5);
    const registry = createRegistry();
    registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] }).inc({ queue: 'mail' }, 2);
    registry.gauge({ name: 'queue_depth', help: 'Depth.' }).set(9);
    const latency = registry.histogram({ name: 'job_seconds', help: 'Latency.', buckets: [0.1, 1] });
    latency.observe(0.5);
    const bridge = bridgeMetricsToPromClient({ registry, promRegistry });
    registry.counter({ name: 'late_total', help: 'Registered after the bridge.' }).inc();

    let text = await promRegistry.metrics();
    expect(text).toContain('app_requests_total 5');
    expect(text).toContain('# TYPE jobs_total counter\njobs_total{queue="mail"} 2');
    expect(text).toContain('queue_depth 9');
    expect(text).toContain(
      'job_seconds_bucket{le="0.1"} 0\njob_seconds_bucket{le="1"} 1\njob_seconds_bucket{le="+Inf"} 1',
    );
    expect(text).toContain('job_seconds_sum 0.5\njob_seconds_count 1');
    await new Promise((r) => setImmediate(r));
    text = await promRegistry.metrics();
    expect(text).toContain('late_total 1');
    expect(text).toContain(`${PROM_BRIDGE_GAUGE} 4`);

    const json = await promRegistry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'jobs_total')?.values).toEqual([
      { value: 2, labels: { queue: 'mail' } },
    ]);

    bridge.close();
    expect(await promRegistry.metrics()).not.toContain('jobs_total');
  });

  it('names counters for prom-client’s OpenMetrics output without doubling _total', async () => {
    const promRegistry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    promRegistry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const registry = createRegistry();
    registry.counter({ name: 'jobs_total', help: 'Jobs.' }).inc(3);
    bridgeMetricsToPromClient({ registry, promRegistry });
    const text = await promRegistry.metrics();
    expect(text).toContain('jobs_total 3');
    expect(text).not.toContain('_total_total');
  });
});
