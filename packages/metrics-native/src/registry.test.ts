import { describe, expect, it } from 'vitest';
import { isMetricsError, type MetricsError } from './errors';
import { createRegistry } from './registry';

const quiet = { warn: () => {} };

function thrown(fn: () => unknown): MetricsError {
  try {
    fn();
  } catch (error) {
    if (isMetricsError(error)) return error;
    throw error;
  }
  throw new Error('expected a MetricsError');
}

describe('createRegistry', () => {
  it('makes independent registries: no global state', () => {
    const a = createRegistry(quiet);
    const b = createRegistry(quiet);
    a.counter({ name: 'jobs_total', help: 'Jobs.' }).inc();
    expect(a.collect().families).toHaveLength(1);
    expect(b.collect().families).toHaveLength(0);
    expect(b.has('jobs_total')).toBe(false);
  });

  it('rejects bad options with a message naming the field', () => {
    const limit = thrown(() => createRegistry({ defaultSeriesLimit: 0 }));
    expect(limit.code).toBe('REGISTRY_OPTIONS_INVALID');
    expect(limit.message).toContain('defaultSeriesLimit: expected a positive integer, received 0');
    expect(thrown(() => createRegistry({ idleTtlMs: -5 })).message).toContain(
      'idleTtlMs: expected a positive number of milliseconds (or Infinity), received -5',
    );
    expect(thrown(() => createRegistry({ now: 5 as never })).message).toContain(
      'now: expected a function returning epoch milliseconds, received 5',
    );
    expect(thrown(() => createRegistry({ seriesLimit: 5 } as never)).message).toContain(
      'seriesLimit: unknown field',
    );
  });

  it('applies the registry defaults to instruments that set none', () => {
    const registry = createRegistry({ defaultSeriesLimit: 7, idleTtlMs: 1234, ...quiet });
    registry.counter({ name: 'a_total', help: 'A.', labelNames: ['x'] });
    registry.counter({ name: 'b_total', help: 'B.', labelNames: ['x'], seriesLimit: 3 });
    const [a, b] = registry.collect().families;
    expect(a?.seriesLimit).toBe(7);
    expect(b?.seriesLimit).toBe(3);
  });

  it('defaults to a series limit of 2000', () => {
    const registry = createRegistry(quiet);
    registry.gauge({ name: 'g', help: 'G.', labelNames: ['x'] });
    expect(registry.collect().families[0]?.seriesLimit).toBe(2000);
  });
});

describe('registration', () => {
  it('returns the existing instrument for the same name and shape', () => {
    const registry = createRegistry(quiet);
    const first = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    const second = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    expect(second).toBe(first);
    first.inc({ queue: 'a' });
    second.inc({ queue: 'a' });
    expect(registry.collect().families[0]?.series[0]).toMatchObject({ value: 2 });
  });

  it('throws when the same name comes with another shape, saying what differs', () => {
    const registry = createRegistry(quiet);
    registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    const labels = thrown(() =>
      registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue', 'kind'] }),
    );
    expect(labels.code).toBe('METRIC_CONFLICT');
    expect(labels.message).toContain('its labelNames are ["queue"], not ["queue", "kind"]');
    expect(
      thrown(() => registry.counter({ name: 'jobs_total', help: 'Other.', labelNames: ['queue'] })).message,
    ).toContain('its help is "Jobs.", not "Other."');
    expect(
      thrown(() =>
        registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'], seriesLimit: 5 }),
      ).message,
    ).toContain('its seriesLimit is 2000, not 5');
    registry.histogram({ name: 'wait_seconds', help: 'W.', unit: 'seconds' });
    expect(() => registry.histogram({ name: 'wait_seconds', help: 'W.', unit: 'seconds' })).not.toThrow();
    expect(
      thrown(() => registry.histogram({ name: 'wait_seconds', help: 'W.', unit: 'seconds', buckets: [1, 2] }))
        .message,
    ).toContain('its buckets are');
    expect(thrown(() => registry.gauge({ name: 'wait_seconds', help: 'W.' })).message).toContain(
      'it is a histogram, not a gauge',
    );
  });

  it('rejects names whose exposition would clash with another family', () => {
    const registry = createRegistry(quiet);
    registry.counter({ name: 'jobs_total', help: 'Jobs.' });
    const family = thrown(() => registry.gauge({ name: 'jobs', help: 'Jobs now.' }));
    expect(family.code).toBe('METRIC_CONFLICT');
    expect(family.message).toBe(
      'gauge "jobs" clashes with counter "jobs_total": both would expose "jobs" in a scrape',
    );
    expect(thrown(() => registry.gauge({ name: 'jobs_created', help: 'X.' })).message).toContain(
      'both would expose "jobs_created"',
    );
    registry.histogram({ name: 'wait', help: 'W.' });
    expect(thrown(() => registry.gauge({ name: 'wait_count', help: 'X.' })).message).toContain(
      'clashes with histogram "wait"',
    );
    expect(thrown(() => registry.counter({ name: 'wait_sum_total', help: 'X.' })).message).toContain(
      'both would expose "wait_sum"',
    );
  });

  it('frees a name on unregister', () => {
    const registry = createRegistry(quiet);
    registry.counter({ name: 'jobs_total', help: 'Jobs.' });
    expect(registry.unregister('jobs_total')).toBe(true);
    expect(registry.unregister('jobs_total')).toBe(false);
    expect(registry.has('jobs_total')).toBe(false);
    const gauge = registry.gauge({ name: 'jobs', help: 'Jobs now.' });
    gauge.set(3);
    expect(registry.collect().families.map((f) => f.name)).toEqual(['jobs']);
  });
});

describe('collect hooks', () => {
  it('runs hooks before the snapshot, until removed', () => {
    const registry = createRegistry(quiet);
    const gauge = registry.gauge({ name: 'queue_depth', help: 'Depth.' });
    let depth = 0;
    const remove = registry.beforeCollect(() => gauge.set(++depth));
    expect(registry.collect().families[0]?.series[0]).toMatchObject({ value: 1 });
    expect(registry.collect().families[0]?.series[0]).toMatchObject({ value: 2 });
    remove();
    expect(registry.collect().families[0]?.series[0]).toMatchObject({ value: 2 });
  });

  it('keeps collecting when a hook throws, and warns once', () => {
    const warnings: string[] = [];
    const registry = createRegistry({ warn: (m) => warnings.push(m) });
    registry.counter({ name: 'jobs_total', help: 'Jobs.' }).inc();
    registry.beforeCollect(() => {
      throw new Error('disk gone');
    });
    expect(registry.collect().families).toHaveLength(1);
    expect(registry.collect().families).toHaveLength(1);
    expect(warnings).toEqual(['A collect hook threw (it keeps running on each collect): disk gone']);
  });

  it('rejects a hook that is not a function', () => {
    const registry = createRegistry(quiet);
    expect(thrown(() => registry.beforeCollect(42 as never)).message).toContain(
      'expected a function, received 42',
    );
  });
});
