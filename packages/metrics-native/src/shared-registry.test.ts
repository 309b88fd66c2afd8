import { describe, expect, it } from 'vitest';
import { isMetricsError } from './errors';
import { createRegistry } from './registry';
import { CLAIMING, sharedLayout } from './shared-layout';
import { attachSharedRegistry, createSharedRegistry } from './shared-registry';
import { parseSharedRegistryOptions, type SharedRegistryOptions } from './shared-registry-options';
import type {
  CounterFamilySnapshot,
  GaugeFamilySnapshot,
  HistogramFamilySnapshot,
  MetricFamilySnapshot,
  MetricsSnapshot,
} from './snapshot';

// Two views of one buffer in one thread behave as two threads would, minus the parallelism
// (test/shared-registry-threads.test.ts runs real worker threads).

function family<T extends MetricFamilySnapshot>(snapshot: MetricsSnapshot, name: string): T {
  return snapshot.families.find((f) => f.name === name) as T;
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isMetricsError(error) ? `${error.code}: ${error.message}` : String(error);
  }
  return 'no error';
}

const jobs = { type: 'counter', name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] } as const;

describe('createSharedRegistry', () => {
  it('names the bad field of its options', () => {
    expect(codeOf(() => createSharedRegistry({} as SharedRegistryOptions))).toMatch(
      /^REGISTRY_OPTIONS_INVALID: .*instruments/,
    );
    expect(codeOf(() => createSharedRegistry({ instruments: [], maxThreads: 0 }))).toMatch(
      /^REGISTRY_OPTIONS_INVALID: .*maxThreads.*expected an integer from 1 to 1024, received 0/,
    );
    expect(codeOf(() => createSharedRegistry({ instruments: [{ type: 'summary' } as never] }))).toMatch(
      /instruments\.0\.type.*expected "counter", "gauge" or "histogram"/,
    );
    expect(
      codeOf(() =>
        createSharedRegistry({
          instruments: [{ type: 'gauge', name: 'depth', help: 'Depth.', collect: () => {} } as never],
        }),
      ),
    ).toMatch(/^METRIC_OPTIONS_INVALID: .*collect: expected no collect in a shared registry/);
    expect(
      codeOf(() => createSharedRegistry({ instruments: [{ ...jobs, retention: true } as never] })),
    ).toMatch(/retention: expected no retention/);
    expect(codeOf(() => createSharedRegistry({ instruments: [{ ...jobs, name: 'jobs' }] }))).toMatch(
      /^METRIC_OPTIONS_INVALID: .*_total/,
    );
    expect(codeOf(() => createSharedRegistry({ instruments: [jobs, jobs] }))).toMatch(/^METRIC_CONFLICT/);
  });

  it('returns the declared instrument for a matching registration and refuses another shape', () => {
    const registry = createSharedRegistry({
      instruments: [jobs, { type: 'gauge', name: 'depth', help: 'Depth.' }],
    });
    const a = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    expect(registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] })).toBe(a);
    expect(
      codeOf(() => registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['lane'] })),
    ).toMatch(
      /^METRIC_CONFLICT: Metric "jobs_total" is declared in the shared registry and its labelNames are \["queue"\]/,
    );
    expect(codeOf(() => registry.histogram({ name: 'depth', help: 'Depth.' }))).toMatch(
      /^METRIC_CONFLICT: Metric "depth" is declared in the shared registry and it is a gauge, not a histogram/,
    );
  });

  it('keeps undeclared instruments in this thread, after the shared ones in a collect', () => {
    const registry = createSharedRegistry({
      instruments: [{ type: 'histogram', name: 'latency_seconds', help: 'Latency.' }],
    });
    registry.counter({ name: 'local_total', help: 'Local.' }).inc(2);
    const other = attachSharedRegistry(registry.handle);
    expect(registry.collect().families.map((f) => f.name)).toEqual(['latency_seconds', 'local_total']);
    expect(other.collect().families.map((f) => f.name)).toEqual(['latency_seconds']);
    expect(registry.has('local_total') && !other.has('local_total')).toBe(true);
    expect(codeOf(() => registry.gauge({ name: 'latency_seconds_count', help: 'x' }))).toMatch(
      /^METRIC_CONFLICT: gauge "latency_seconds_count" clashes with shared histogram "latency_seconds"/,
    );
    expect(registry.unregister('latency_seconds')).toBe(false);
    expect(codeOf(() => registry.history('latency_seconds', { from: 0, to: 1 } as never))).toMatch(
      /^HISTORY_QUERY_INVALID/,
    );
  });

  it('shares series, values and drop counts between views of one buffer', () => {
    const a = createSharedRegistry({
      instruments: [jobs, { type: 'gauge', name: 'depth', help: 'Depth.', labelNames: ['queue'] }],
      warn: () => {},
    });
    const b = attachSharedRegistry(a.handle, { warn: () => {} });
    const ja = a.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    const jb = b.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    ja.inc({ queue: 'x' }, 2);
    jb.inc({ queue: 'x' }, 3);
    jb.labels({ queue: 'y' }).inc();
    ja.inc({ queue: 'x' }, -1);
    jb.inc({ queue: 1 } as never);
    const da = a.gauge({ name: 'depth', help: 'Depth.', labelNames: ['queue'] });
    const db = b.gauge({ name: 'depth', help: 'Depth.', labelNames: ['queue'] });
    da.inc({ queue: 'x' }, 5);
    db.dec({ queue: 'x' }, 2);
    db.set({ queue: 'y' }, 7);
    da.labels({ queue: 'y' }).inc(0.5);
    for (const snapshot of [a.collect(), b.collect()]) {
      const counter = family<CounterFamilySnapshot>(snapshot, 'jobs_total');
      expect(counter.series.map((s) => [s.labels.queue, s.value])).toEqual([
        ['x', 5],
        ['y', 1],
      ]);
      expect(counter.dropped).toEqual({ invalidValue: 1, invalidLabels: 1, invalidExemplar: 0 });
      const gauge = family<GaugeFamilySnapshot>(snapshot, 'depth');
      expect(gauge.series.map((s) => [s.labels.queue, s.value])).toEqual([
        ['x', 3],
        ['y', 7.5],
      ]);
    }
  });

  it('gives the same snapshot values as an unshared registry fed the same updates', () => {
    const histogram = {
      name: 'size_bytes',
      help: 'Sizes.',
      labelNames: ['kind'],
      buckets: [10, 100],
    } as const;
    const shared = createSharedRegistry({ instruments: [{ type: 'histogram', ...histogram }] });
    const plain = createRegistry();
    for (const registry of [shared, plain]) {
      const h = registry.histogram(histogram);
      for (const v of [1, 50, 500, 10, 100.5]) h.observe({ kind: 'a' }, v);
      h.labels({ kind: 'b' }).observe(3);
    }
    const pick = (s: MetricsSnapshot) =>
      family<HistogramFamilySnapshot>(s, 'size_bytes').series.map((x) => [
        x.labels,
        x.counts,
        x.count,
        x.sum,
      ]);
    expect(pick(shared.collect())).toEqual(pick(plain.collect()));
  });

  it('folds label sets past the series limit into the overflow series, counts and warns once, never throws', () => {
    const warnings: string[] = [];
    const registry = createSharedRegistry({
      instruments: [{ ...jobs, seriesLimit: 3 }],
      warn: (m) => warnings.push(m),
    });
    const counter = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    for (const queue of ['a', 'b', 'c', 'd', 'e', 'd']) counter.inc({ queue });
    const late = counter.labels({ queue: 'f' });
    late.inc(10);
    late.inc(10);
    const snapshot = family<CounterFamilySnapshot>(registry.collect(), 'jobs_total');
    expect(snapshot.series.map((s) => [s.labels, s.value, s.overflow])).toEqual([
      [{ queue: 'a' }, 1, false],
      [{ queue: 'b' }, 1, false],
      [{ queue: 'c' }, 1, false],
      [{ tasker_overflow: 'true' }, 23, true],
    ]);
    expect(snapshot.foldedUpdates).toBe(5);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/counter "jobs_total" reached its series limit of 3/);
  });

  it('folds a label set whose values do not fit in the room for label values', () => {
    const registry = createSharedRegistry({
      instruments: [{ ...jobs, seriesLimit: 2 }],
      labelCharsPerSeries: 8,
      warn: () => {},
    });
    const counter = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    counter.inc({ queue: 'a' }); // ["a"]: 5 characters
    counter.inc({ queue: 'a-much-longer-queue-name' });
    counter.inc({ queue: 'b' });
    const snapshot = family<CounterFamilySnapshot>(registry.collect(), 'jobs_total');
    expect(snapshot.series.map((s) => s.labels)).toEqual([{ queue: 'a' }, { tasker_overflow: 'true' }]);
    expect(snapshot.foldedUpdates).toBe(2);
  });

  it('folds instead of waiting forever on a claim that a stopped thread never finished', () => {
    const options = { instruments: [{ ...jobs, seriesLimit: 4 }], warn: () => {} };
    const registry = createSharedRegistry(options);
    // As if a thread had been terminated between claiming a table entry and publishing it.
    const config = parseSharedRegistryOptions(options);
    const region = sharedLayout(config.configs, config.maxThreads, config.labelCharsPerSeries).region(
      registry.handle.buffer,
      0,
    );
    region.table.fill(CLAIMING);
    const counter = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    counter.inc({ queue: 'a' });
    const snapshot = family<CounterFamilySnapshot>(registry.collect(), 'jobs_total');
    expect(snapshot.series.map((s) => [s.labels, s.value])).toEqual([[{ tasker_overflow: 'true' }, 1]]);
    expect(snapshot.foldedUpdates).toBe(1);
  });

  it('counts exemplars it cannot keep and keeps their updates', () => {
    const warnings: string[] = [];
    const registry = createSharedRegistry({ instruments: [jobs], warn: (m) => warnings.push(m) });
    registry
      .counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] })
      .inc({ queue: 'a' }, 1, { trace_id: 'abc' });
    const snapshot = family<CounterFamilySnapshot>(registry.collect(), 'jobs_total');
    expect(snapshot.series[0]?.value).toBe(1);
    expect(snapshot.series[0]?.exemplar).toBeUndefined();
    expect(snapshot.dropped.invalidExemplar).toBe(1);
    expect(warnings[0]).toMatch(/does not keep exemplars/);
  });
});

describe('attachSharedRegistry', () => {
  it('refuses something that is not a handle', () => {
    expect(codeOf(() => attachSharedRegistry({ buffer: new ArrayBuffer(8) } as never))).toMatch(
      /^REGISTRY_OPTIONS_INVALID: attachSharedRegistry: expected the handle of a shared registry/,
    );
  });

  it('gives each view a lane up to maxThreads, and close() frees one while its counts stay', () => {
    const a = createSharedRegistry({
      instruments: [{ type: 'counter', name: 'ticks_total', help: 'Ticks.' }],
      maxThreads: 2,
    });
    const b = attachSharedRegistry(a.handle);
    expect([a.lane, b.lane]).toEqual([0, 1]);
    expect(codeOf(() => attachSharedRegistry(a.handle))).toMatch(/^SHARED_REGISTRY_FULL: All 2 lanes/);
    b.counter({ name: 'ticks_total', help: 'Ticks.' }).inc(4);
    b.close();
    // After close, this view's updates are not recorded: its lane may belong to another thread.
    b.counter({ name: 'ticks_total', help: 'Ticks.' }).inc(100);
    const c = attachSharedRegistry(a.handle);
    expect(c.lane).toBe(1);
    c.counter({ name: 'ticks_total', help: 'Ticks.' }).inc(1);
    a.counter({ name: 'ticks_total', help: 'Ticks.' }).inc(2);
    expect(family<CounterFamilySnapshot>(a.collect(), 'ticks_total').series[0]?.value).toBe(7);
  });
});
