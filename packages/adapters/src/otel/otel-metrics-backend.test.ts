import type { Histogram } from '@opentelemetry/sdk-metrics';
import { createEventMapping, type RoutedEvent } from '@tasker/router';
import { runBackendContract } from '@tasker/router/testing';
import { describe, expect, it } from 'vitest';
import { METRICS_RECORDED_EVENTS } from '../../test/support/contract-probes';
import { collected, testMeter } from '../../test/support/metric-reader';
import type { MetricsBackend } from './metrics-backend';
import { createOtelMetricsBackend } from './otel-metrics-backend';

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
    name: 'OpenTelemetry metrics',
    create: () =>
      createOtelMetricsBackend({ meter: testMeter().provider.getMeter('contract'), warn: () => {} }),
    recorded: {
      count: (backend) => (backend as MetricsBackend).stats().recorded,
      events: METRICS_RECORDED_EVENTS,
    },
  },
);

describe('createOtelMetricsBackend (sdk-metrics 2.x, in-memory reader)', () => {
  it('records counts by outcome, durations, retries and steps in progress on the user’s meter', async () => {
    const { provider, reader } = testMeter();
    const b = createOtelMetricsBackend({ meter: provider.getMeter('tasker') });
    b.handle(event('step.execution_requested', step));
    b.handle(event('step.execution_requested', { ...step, stepId: 's-2', stepName: 'ship' }));
    b.handle(event('step.failed', { ...step, durationMs: 250, error: { name: 'E', message: 'x' } }));
    b.handle(event('step.retry_requested', { ...step, backoffMs: 1000, nextAttemptAt: 1 }));
    b.handle(event('step.completed', { ...step, stepId: 's-2', stepName: 'ship', durationMs: 40 }, 0.5));
    b.handle(event('task.completed', { ...task, durationMs: 3000 }));
    const m = await collected(reader);

    const tasks = m.get('tasker.tasks');
    expect(tasks?.descriptor.unit).toBe('{task}');
    expect(tasks?.points.map((p) => [p.attributes, p.value])).toEqual([
      [
        {
          'tasker.namespace': 'shop',
          'tasker.task_name': 'order',
          'tasker.task_version': '1.0.0',
          'tasker.outcome': 'completed',
        },
        1,
      ],
    ]);
    const steps = m
      .get('tasker.steps')
      ?.points.map((p) => [p.attributes['tasker.step_name'], p.attributes['tasker.outcome'], p.value]);
    expect(steps).toEqual([
      ['charge', 'failed', 1],
      ['ship', 'completed', 2], // sampled at 0.5: counts 2
    ]);
    expect(m.get('tasker.step.retries')?.points.map((p) => p.value)).toEqual([1]);
    const inProgress = m
      .get('tasker.steps.in_progress')
      ?.points.map((p) => [p.attributes['tasker.step_name'], p.value]);
    expect(inProgress).toEqual([
      ['charge', 0],
      ['ship', 0],
    ]);
    const duration = m.get('tasker.step.duration');
    expect(duration?.descriptor.unit).toBe('s');
    const failed = duration?.points.find((p) => p.attributes['tasker.outcome'] === 'failed')
      ?.value as Histogram;
    expect(failed.sum).toBe(0.25);
    expect(failed.count).toBe(1);
    // The bucket advice reaches the SDK: 0.25 s falls in the (0.1, 0.25] bucket.
    expect(failed.buckets.boundaries.slice(0, 6)).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25]);
    expect(failed.buckets.counts[5]).toBe(1);
    const taskDuration = m.get('tasker.task.duration')?.points[0]?.value as Histogram;
    expect(taskDuration.sum).toBe(3);
  });

  it('rejects a meter that is not one, naming the field', () => {
    expect(() => createOtelMetricsBackend({ meter: {} as never })).toThrow(
      /meter: expected an OpenTelemetry Meter/,
    );
  });
});
