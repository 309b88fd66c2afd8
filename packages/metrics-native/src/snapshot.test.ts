import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot, HistogramFamilySnapshot, MetricsSnapshot } from './snapshot';

function deepFrozen(value: unknown, path = 'snapshot'): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const problems = Object.isFrozen(value) ? [] : [path];
  for (const [key, child] of Object.entries(value)) problems.push(...deepFrozen(child, `${path}.${key}`));
  return problems;
}

function populated() {
  let time = 100;
  const registry = createRegistry({ now: () => time, warn: () => {} });
  const counter = registry.counter({ name: 'a_total', help: 'A.', labelNames: ['k'], unit: undefined });
  const gauge = registry.gauge({ name: 'b', help: 'B.' });
  const histogram = registry.histogram({
    name: 'c_seconds',
    help: 'C.',
    unit: 'seconds',
    labelNames: ['k'],
    buckets: [1],
  });
  counter.inc({ k: 'x' }, 1, { trace_id: 't' });
  gauge.set(2);
  histogram.observe({ k: 'y' }, 0.5, { trace_id: 'u' });
  return {
    registry,
    counter,
    gauge,
    histogram,
    tick: () => {
      time += 1;
    },
  };
}

describe('collect()', () => {
  it('returns a deeply frozen snapshot', () => {
    const { registry } = populated();
    const snapshot = registry.collect();
    expect(deepFrozen(snapshot)).toEqual([]);
    expect(() => {
      (snapshot.families as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('is not changed by later updates', () => {
    const { registry, counter, gauge, histogram } = populated();
    const before = registry.collect();
    const copy = JSON.stringify(before);
    counter.inc({ k: 'x' }, 5);
    counter.inc({ k: 'new' });
    gauge.set(100);
    histogram.observe({ k: 'y' }, 5);
    expect(JSON.stringify(before)).toBe(copy);
    const after = registry.collect();
    expect((after.families[0] as CounterFamilySnapshot).series).toHaveLength(2);
  });

  it('carries name, help, unit, type, label names and the collect time', () => {
    const { registry, tick } = populated();
    tick();
    const snapshot: MetricsSnapshot = registry.collect();
    expect(snapshot.timestamp).toBe(101);
    expect(
      snapshot.families.map((f) => ({
        name: f.name,
        type: f.type,
        help: f.help,
        unit: f.unit,
        labels: f.labelNames,
      })),
    ).toEqual([
      { name: 'a_total', type: 'counter', help: 'A.', unit: undefined, labels: ['k'] },
      { name: 'b', type: 'gauge', help: 'B.', unit: undefined, labels: [] },
      { name: 'c_seconds', type: 'histogram', help: 'C.', unit: 'seconds', labels: ['k'] },
    ]);
    const histogram = snapshot.families[2] as HistogramFamilySnapshot;
    expect(histogram.series[0]).toEqual({
      labels: { k: 'y' },
      slot: 0,
      generation: 0,
      created: 100,
      overflow: false,
      count: 1,
      sum: 0.5,
      counts: [1, 1],
      exemplars: [{ labels: { trace_id: 'u' }, value: 0.5, timestamp: 100 }, undefined],
    });
  });

  it('reports drops, folds, evictions and collect errors per family, starting at zero', () => {
    const { registry } = populated();
    const family = registry.collect().families[0];
    expect(family).toMatchObject({
      foldedUpdates: 0,
      evictedSeries: 0,
      collectErrors: 0,
      dropped: { invalidValue: 0, invalidLabels: 0, invalidExemplar: 0 },
    });
  });

  it('lists series of one label prefix together, in insertion order', () => {
    const registry = createRegistry({ warn: () => {} });
    const c = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'] });
    c.inc({ a: '1', b: 'x' });
    c.inc({ a: '2', b: 'x' });
    c.inc({ a: '1', b: 'y' });
    const series = (registry.collect().families[0] as CounterFamilySnapshot).series.map(
      (s) => `${s.labels.a}${s.labels.b}`,
    );
    expect(series).toEqual(['1x', '1y', '2x']);
  });
});
