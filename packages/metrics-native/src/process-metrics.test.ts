import type { IntervalHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { isMetricsError } from './errors';
import { startProcessMetrics } from './process-metrics';
import { createRegistry } from './registry';
import type { GaugeFamilySnapshot, HistogramFamilySnapshot, MetricsSnapshot } from './snapshot';

// Pass-through wrappers around the real perf_hooks, so the test can see the monitors and
// observers the module makes and check that stop() disabled them.
const seen = vi.hoisted(() => ({
  monitors: [] as IntervalHistogram[],
  observerCalls: 0,
}));
vi.mock('node:perf_hooks', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:perf_hooks')>();
  class CountingObserver extends actual.PerformanceObserver {
    constructor(callback: ConstructorParameters<typeof actual.PerformanceObserver>[0]) {
      super((list, observer) => {
        seen.observerCalls++;
        callback(list, observer);
      });
    }
  }
  return {
    ...actual,
    PerformanceObserver: CountingObserver,
    monitorEventLoopDelay: (options?: Parameters<typeof actual.monitorEventLoopDelay>[0]) => {
      const monitor = actual.monitorEventLoopDelay(options);
      seen.monitors.push(monitor);
      return monitor;
    },
  };
});

v8.setFlagsFromString('--expose-gc');
const forceGc = vm.runInNewContext('gc') as () => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await sleep(10);
}

function find(snapshot: MetricsSnapshot, name: string) {
  return snapshot.families.find((f) => f.name === name);
}

function gaugeValue(snapshot: MetricsSnapshot, name: string): number {
  const family = find(snapshot, name) as GaugeFamilySnapshot | undefined;
  const value = family?.series[0]?.value;
  if (value === undefined) throw new Error(`no value for ${name}`);
  return value;
}

describe('startProcessMetrics', () => {
  it('registers CPU, memory, start time, event-loop delay and GC metrics, with units', () => {
    const registry = createRegistry({ warn: () => {} });
    const metrics = startProcessMetrics(registry);
    try {
      const snapshot = registry.collect();
      expect(metrics.names).toEqual(snapshot.families.map((f) => f.name));
      expect(snapshot.families.map((f) => [f.name, f.type, f.unit])).toEqual([
        ['process_cpu_user_seconds_total', 'counter', 'seconds'],
        ['process_cpu_system_seconds_total', 'counter', 'seconds'],
        ['process_cpu_seconds_total', 'counter', 'seconds'],
        ['process_start_time_seconds', 'gauge', 'seconds'],
        ['process_resident_memory_bytes', 'gauge', 'bytes'],
        ['nodejs_heap_size_total_bytes', 'gauge', 'bytes'],
        ['nodejs_heap_size_used_bytes', 'gauge', 'bytes'],
        ['nodejs_external_memory_bytes', 'gauge', 'bytes'],
        ['nodejs_eventloop_lag_min_seconds', 'gauge', 'seconds'],
        ['nodejs_eventloop_lag_max_seconds', 'gauge', 'seconds'],
        ['nodejs_eventloop_lag_mean_seconds', 'gauge', 'seconds'],
        ['nodejs_eventloop_lag_stddev_seconds', 'gauge', 'seconds'],
        ['nodejs_eventloop_lag_p50_seconds', 'gauge', 'seconds'],
        ['nodejs_eventloop_lag_p90_seconds', 'gauge', 'seconds'],
        ['nodejs_eventloop_lag_p99_seconds', 'gauge', 'seconds'],
        ['nodejs_gc_duration_seconds', 'histogram', 'seconds'],
      ]);
    } finally {
      metrics.stop();
    }
  });

  it('reads CPU time and memory at collect time', () => {
    const registry = createRegistry({ warn: () => {} });
    const metrics = startProcessMetrics(registry);
    try {
      const first = registry.collect();
      let spin = 0;
      for (let i = 0; i < 2_000_000; i++) spin += i % 7;
      const second = registry.collect();
      const cpu = process.cpuUsage();
      const total = gaugeValue(second, 'process_cpu_seconds_total');
      expect(spin).toBeGreaterThan(0);
      expect(total).toBeGreaterThan(gaugeValue(first, 'process_cpu_seconds_total'));
      // Totals since the process started, like process.cpuUsage().
      expect(total).toBeLessThanOrEqual((cpu.user + cpu.system) / 1e6);
      expect(
        gaugeValue(second, 'process_cpu_user_seconds_total') +
          gaugeValue(second, 'process_cpu_system_seconds_total'),
      ).toBeCloseTo(total, 9);
      expect(gaugeValue(second, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
      expect(gaugeValue(second, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(gaugeValue(second, 'nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(
        gaugeValue(second, 'nodejs_heap_size_used_bytes'),
      );
      expect(gaugeValue(second, 'process_start_time_seconds')).toBeCloseTo(performance.timeOrigin / 1000, 2);
    } finally {
      metrics.stop();
    }
  });

  it('reports event-loop delay since the previous collect', async () => {
    const registry = createRegistry({ warn: () => {} });
    const metrics = startProcessMetrics(registry, { eventLoopResolutionMs: 5 });
    try {
      await sleep(30);
      const blockedUntil = Date.now() + 80;
      while (Date.now() < blockedUntil) {
        // Block the event loop: the monitor's next tick comes late.
      }
      await sleep(30);
      const snapshot = registry.collect();
      const max = gaugeValue(snapshot, 'nodejs_eventloop_lag_max_seconds');
      expect(max).toBeGreaterThanOrEqual(0.05);
      expect(gaugeValue(snapshot, 'nodejs_eventloop_lag_min_seconds')).toBeLessThanOrEqual(max);
      expect(gaugeValue(snapshot, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(
        gaugeValue(snapshot, 'nodejs_eventloop_lag_p50_seconds'),
      );
    } finally {
      metrics.stop();
    }
  });

  it('observes GC pauses by kind', async () => {
    const registry = createRegistry({ warn: () => {} });
    const metrics = startProcessMetrics(registry);
    try {
      const gcCount = () => {
        const family = find(registry.collect(), 'nodejs_gc_duration_seconds') as HistogramFamilySnapshot;
        return family.series.find((s) => s.labels.kind === 'major')?.count ?? 0;
      };
      expect(gcCount()).toBe(0);
      forceGc();
      await until(() => gcCount() > 0);
      expect(gcCount()).toBeGreaterThan(0);
      const family = find(registry.collect(), 'nodejs_gc_duration_seconds') as HistogramFamilySnapshot;
      expect(family.series.map((s) => s.labels.kind).sort()).toEqual([
        'incremental',
        'major',
        'minor',
        'weakcb',
      ]);
    } finally {
      metrics.stop();
    }
  });

  it('stop() disables the monitor, disconnects the observer, removes the hook and the metrics', async () => {
    const registry = createRegistry({ warn: () => {} });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const monitorsBefore = seen.monitors.length;
    const metrics = startProcessMetrics(registry);
    // No timer of its own: values are read at collect time.
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
    const monitor = seen.monitors[monitorsBefore];
    expect(seen.monitors).toHaveLength(monitorsBefore + 1);

    // The observer is live: a GC reaches it.
    const callsBefore = seen.observerCalls;
    forceGc();
    await until(() => seen.observerCalls > callsBefore);
    expect(seen.observerCalls).toBeGreaterThan(callsBefore);

    metrics.stop();
    // disable() returns false when the histogram was already disabled.
    expect(monitor?.disable()).toBe(false);
    const callsAfterStop = seen.observerCalls;
    forceGc();
    await sleep(100);
    expect(seen.observerCalls).toBe(callsAfterStop);
    expect(registry.collect().families).toEqual([]);
    expect(() => metrics.stop()).not.toThrow();
  });

  it('can start again after stop, and refuses to start twice', () => {
    const registry = createRegistry({ warn: () => {} });
    const first = startProcessMetrics(registry);
    try {
      startProcessMetrics(registry);
      throw new Error('expected a throw');
    } catch (error) {
      expect(isMetricsError(error) && error.code).toBe('PROCESS_METRICS_RUNNING');
    }
    first.stop();
    const second = startProcessMetrics(registry);
    expect(registry.collect().families.length).toBe(16);
    second.stop();
    const prefixed = startProcessMetrics(registry, { prefix: 'app_' });
    expect(registry.collect().families.every((f) => f.name.startsWith('app_'))).toBe(true);
    prefixed.stop();
  });

  it('rejects bad options and leaves the registry as it was', () => {
    const registry = createRegistry({ warn: () => {} });
    const message = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      return 'no error';
    };
    expect(message(() => startProcessMetrics(registry, { prefix: '1x' }))).toContain(
      'prefix: expected letters',
    );
    expect(message(() => startProcessMetrics(registry, { eventLoopResolutionMs: 0 }))).toContain(
      'eventLoopResolutionMs: expected a positive integer, received 0',
    );
    expect(message(() => startProcessMetrics(registry, { gcBuckets: [2, 1] }))).toContain('buckets[1]');
    expect(registry.collect().families).toEqual([]);
    registry.gauge({ name: 'nodejs_gc_duration_seconds', help: 'Taken.' });
    expect(message(() => startProcessMetrics(registry))).toContain(
      'is already registered and it is a gauge, not a histogram',
    );
    expect(registry.collect().families.map((f) => f.name)).toEqual(['nodejs_gc_duration_seconds']);
  });
});
