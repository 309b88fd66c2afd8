import {
  type CounterFamilySnapshot,
  createRegistry,
  type GaugeFamilySnapshot,
  type HistogramFamilySnapshot,
  type Registry,
} from '@tasker/metrics-native';
import { createEventMapping, createEventRouter, type RoutedEvent, type RouterBackend } from '@tasker/router';
import { runBackendContract, SAMPLE_PAYLOADS } from '@tasker/router/testing';
import { describe, expect, it } from 'vitest';
import { METRICS_RECORDED_EVENTS } from '../../test/support/contract-probes';
import { isAdapterError } from '../shared/errors';
import { createNativeMetricsBackend, type MetricsBackend } from './native-metrics-backend';

const quiet = () => {};

function family<T>(registry: Registry, name: string): T {
  const f = registry.collect().families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f as T;
}

function value(registry: Registry, name: string, labels: Record<string, string>): number | undefined {
  const f = family<CounterFamilySnapshot | GaugeFamilySnapshot>(registry, name);
  const s = f.series.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}

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
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

runBackendContract(
  { describe, it, expect },
  {
    name: 'native metrics',
    create: () => createNativeMetricsBackend({ registry: createRegistry(), warn: quiet }),
    recorded: {
      count: (backend) => (backend as MetricsBackend).stats().recorded,
      events: METRICS_RECORDED_EVENTS,
    },
  },
);

describe('createNativeMetricsBackend', () => {
  it('counts tasks and steps by outcome with the Prometheus names and labels', () => {
    const registry = createRegistry();
    const b = createNativeMetricsBackend({ registry });
    b.handle(event('task.completed', { ...task, durationMs: 1500 }));
    b.handle(event('task.failed', { ...task, durationMs: 20, error: { name: 'E', message: 'x' } }));
    b.handle(event('step.completed', { ...step, durationMs: 40 }));
    b.handle(
      event('step.failed', { ...step, attempt: 2, durationMs: 7, error: { name: 'E', message: 'x' } }),
    );
    b.handle(event('observability.step.skip', { ...step, stepName: 'gift_wrap', reason: 'bypassed' }));
    const labels = { namespace: 'shop', name: 'order', version: '1.0.0' };
    expect(value(registry, 'tasker_tasks_total', { ...labels, outcome: 'completed' })).toBe(1);
    expect(value(registry, 'tasker_tasks_total', { ...labels, outcome: 'failed' })).toBe(1);
    expect(value(registry, 'tasker_steps_total', { ...labels, step: 'charge', outcome: 'completed' })).toBe(
      1,
    );
    expect(value(registry, 'tasker_steps_total', { ...labels, step: 'charge', outcome: 'failed' })).toBe(1);
    expect(value(registry, 'tasker_steps_total', { ...labels, step: 'gift_wrap', outcome: 'skipped' })).toBe(
      1,
    );
    const durations = family<HistogramFamilySnapshot>(registry, 'tasker_task_duration_seconds');
    const completed = durations.series.find((s) => s.labels.outcome === 'completed');
    expect(completed?.sum).toBe(1.5);
    expect(completed?.count).toBe(1);
    const stepDurations = family<HistogramFamilySnapshot>(registry, 'tasker_step_duration_seconds');
    expect(stepDurations.series.map((s) => [s.labels.outcome, s.sum])).toEqual([
      ['completed', 0.04],
      ['failed', 0.007],
    ]);
    expect(b.stats().recorded).toBe(5);
  });

  it('scales counts by 1 / samplingRate so that counters estimate the true totals', () => {
    const registry = createRegistry();
    const b = createNativeMetricsBackend({ registry });
    for (let i = 0; i < 10; i++) b.handle(event('step.completed', { ...step, stepId: `s-${i}` }, 0.1));
    b.handle(event('step.retry_requested', { ...step, backoffMs: 5, nextAttemptAt: 1 }, 0.25));
    b.handle(event('task.completed', task, 1));
    const labels = { namespace: 'shop', name: 'order', version: '1.0.0', step: 'charge' };
    expect(value(registry, 'tasker_steps_total', { ...labels, outcome: 'completed' })).toBeCloseTo(100, 9);
    expect(value(registry, 'tasker_step_retries_total', labels)).toBe(4);
    expect(value(registry, 'tasker_tasks_total', { outcome: 'completed' })).toBe(1);
  });

  it('does not scale histograms: a sampled observation is one observation', () => {
    const registry = createRegistry();
    const b = createNativeMetricsBackend({ registry });
    b.handle(event('step.completed', { ...step, durationMs: 100 }, 0.5));
    const h = family<HistogramFamilySnapshot>(registry, 'tasker_step_duration_seconds');
    expect(h.series[0]?.count).toBe(1);
  });

  it('tracks steps in progress per process: in on execution_requested, out on the attempt’s end', () => {
    const registry = createRegistry();
    const b = createNativeMetricsBackend({ registry });
    const labels = { namespace: 'shop', name: 'order', version: '1.0.0', step: 'charge' };
    b.handle(event('step.execution_requested', { ...step, stepId: 'a' }));
    b.handle(event('step.execution_requested', { ...step, stepId: 'b' }));
    b.handle(event('step.execution_requested', { ...step, stepId: 'b' })); // published twice: counted once
    expect(value(registry, 'tasker_steps_in_progress', labels)).toBe(2);
    b.handle(event('step.completed', { ...step, stepId: 'a' }));
    expect(value(registry, 'tasker_steps_in_progress', labels)).toBe(1);
    // A step cancelled in another process (never entered here) does not take the gauge below zero.
    b.handle(event('step.cancelled', { ...step, stepId: 'elsewhere' }));
    b.handle(
      event('step.before_transition', { ...step, stepId: 'b', fromState: 'in_progress', toState: 'pending' }),
    );
    expect(value(registry, 'tasker_steps_in_progress', labels)).toBe(0);
    expect(b.stats().inProgress).toBe(0);
  });

  it('puts the payload’s trace id on duration histograms as an exemplar', () => {
    const registry = createRegistry();
    const b = createNativeMetricsBackend({ registry });
    b.handle(event('task.completed', { ...task, durationMs: 300, traceContext: { traceparent } }));
    b.handle(event('step.completed', { ...step, durationMs: 30, traceContext: { traceparent: 'garbage' } }));
    const h = family<HistogramFamilySnapshot>(registry, 'tasker_task_duration_seconds');
    const exemplars = h.series[0]?.exemplars?.filter((e) => e !== undefined);
    expect(exemplars?.map((e) => e?.labels)).toEqual([
      { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
    ]);
    expect(exemplars?.[0]?.value).toBe(0.3);
    const steps = family<HistogramFamilySnapshot>(registry, 'tasker_step_duration_seconds');
    expect(steps.series[0]?.exemplars).toBeUndefined();
    expect(steps.dropped.invalidExemplar).toBe(0);
  });

  it('bounds label sets: past the limit, new ones share the _overflow series', () => {
    const registry = createRegistry();
    const warnings: string[] = [];
    const b = createNativeMetricsBackend({ registry, labelSetLimit: 3, warn: (m) => warnings.push(m) });
    for (let i = 0; i < 50; i++) b.handle(event('task.completed', { ...task, taskName: `t${i}` }));
    const f = family<CounterFamilySnapshot>(registry, 'tasker_tasks_total');
    expect(f.series.length).toBe(4);
    expect(f.series.find((s) => s.labels.name === '_overflow')?.value).toBe(47);
    expect(b.stats()).toMatchObject({ labelSets: { tasks: 3 }, overflowed: 47 });
    expect(warnings.length).toBe(1);
  });

  it('binds a label set’s handles once: repeated events create no new series', () => {
    const registry = createRegistry();
    const b = createNativeMetricsBackend({ registry });
    for (let i = 0; i < 1000; i++) b.handle(event('step.completed', { ...step, durationMs: i % 50 }));
    expect(b.stats().labelSets).toEqual({ tasks: 1, steps: 1 });
    expect(family<CounterFamilySnapshot>(registry, 'tasker_steps_total').series.length).toBe(1);
  });

  it('drops, counts and warns once about events without labels, never throwing', () => {
    const warnings: string[] = [];
    const b = createNativeMetricsBackend({ registry: createRegistry(), warn: (m) => warnings.push(m) });
    for (const payload of [null, 7, {}, { namespace: 1 }, { ...task, stepName: 5 }]) {
      expect(() => b.handle(event('step.completed', payload))).not.toThrow();
    }
    expect(b.stats().dropped).toEqual({ payload: 2, taskLabels: 2, stepName: 1 });
    expect(warnings.length).toBe(3);
  });

  it('counts what the retention sweep removed, by kind, and nothing for a dry run', () => {
    const registry = createRegistry();
    const backend = createNativeMetricsBackend({ registry, warn: quiet });
    const figures = { tasks: 3, transitions: 15, archived: 0, identityKeys: 2, complete: true };
    backend.handle(event('retention.swept', { ...figures, dryRun: false }));
    backend.handle(event('retention.swept', { ...figures, dryRun: true }));
    backend.handle(event('retention.swept', { ...figures, tasks: 'many', dryRun: false }));
    const removed = (kind: string) => value(registry, 'tasker_retention_removed_total', { kind });
    expect([removed('tasks'), removed('transitions'), removed('identity_keys')]).toEqual([3, 30, 4]);
    expect(removed('archived')).toBeUndefined();
    expect(backend.stats().dropped).toEqual({ 'retention.tasks': 1 });
  });

  it('ignores events it has no metric for', () => {
    const b = createNativeMetricsBackend({ registry: createRegistry() });
    b.handle(event('workflow.viable_steps_discovered', SAMPLE_PAYLOADS['workflow.viable_steps_discovered']));
    expect(b.stats()).toMatchObject({ recorded: 0, ignored: 1 });
  });

  it('rejects bad options with a message that names the field', () => {
    expect(() => createNativeMetricsBackend({ registry: {} as Registry })).toThrow(
      /registry: expected a @tasker/,
    );
    try {
      createNativeMetricsBackend({ registry: createRegistry(), labelSetLimit: 0, stepBuckets: [2, 1] });
      expect.unreachable();
    } catch (error) {
      expect(isAdapterError(error)).toBe(true);
      expect((error as Error).message).toMatch(/labelSetLimit: expected at least 1/);
      expect((error as Error).message).toMatch(/stepBuckets: expected strictly increasing bounds/);
    }
  });

  it('records the default routing table’s events behind a real router', () => {
    const registry = createRegistry();
    const backend: RouterBackend = createNativeMetricsBackend({ registry });
    const router = createEventRouter({ backends: { metrics: backend } });
    router.route('step.execution_requested', step);
    router.route('step.completed', { ...step, durationMs: 12 });
    router.route('task.completed', { ...task, durationMs: 50 });
    expect(value(registry, 'tasker_tasks_total', { outcome: 'completed' })).toBe(1);
    expect(value(registry, 'tasker_steps_in_progress', { step: 'charge' })).toBe(0);
  });
});
