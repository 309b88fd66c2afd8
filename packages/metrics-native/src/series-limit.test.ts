import { describe, expect, it } from 'vitest';
import { OVERFLOW_LABEL } from './metric-name';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot, HistogramFamilySnapshot } from './snapshot';

function setup(seriesLimit = 3) {
  const warnings: string[] = [];
  let time = 0;
  const registry = createRegistry({ now: () => time, warn: (m) => warnings.push(m), idleTtlMs: 1_000 });
  const counter = registry.counter({
    name: 'logins_total',
    help: 'Logins.',
    labelNames: ['user'],
    seriesLimit,
  });
  const family = () => registry.collect().families[0] as CounterFamilySnapshot;
  return {
    registry,
    counter,
    family,
    warnings,
    tick: (ms: number) => {
      time += ms;
    },
  };
}

describe('series limit', () => {
  it('folds label sets past the limit into one overflow series and counts the folded updates', () => {
    const { counter, family, warnings } = setup(3);
    for (const user of ['a', 'b', 'c']) counter.inc({ user });
    counter.inc({ user: 'd' });
    counter.inc({ user: 'e' }, 2);
    counter.inc({ user: 'd' });
    counter.inc({ user: 'a' }, 10);
    const f = family();
    expect(f.series.map((s) => [s.labels, s.value, s.overflow])).toEqual([
      [{ user: 'a' }, 11, false],
      [{ user: 'b' }, 1, false],
      [{ user: 'c' }, 1, false],
      [{ [OVERFLOW_LABEL]: 'true' }, 4, true],
    ]);
    expect(f.foldedUpdates).toBe(3);
    expect(warnings).toEqual([
      'counter "logins_total" reached its series limit of 3: new label sets are folded into the series {tasker_overflow="true"}. Folded updates are counted in the snapshot (foldedUpdates).',
    ]);
  });

  it('never holds more than the limit plus the overflow series, however many label sets arrive', () => {
    const { counter, family } = setup(50);
    for (let i = 0; i < 10_000; i++) counter.inc({ user: `user-${i}` });
    const f = family();
    expect(f.series).toHaveLength(51);
    expect(f.foldedUpdates).toBe(10_000 - 50);
    const total = f.series.reduce((sum, s) => sum + s.value, 0);
    expect(total).toBe(10_000);
  });

  it('binds handles of new label sets past the limit to the overflow series, counting each update', () => {
    const { counter, family } = setup(1);
    counter.inc({ user: 'a' });
    const late = counter.labels({ user: 'late' });
    expect(family().foldedUpdates).toBe(0);
    late.inc();
    late.inc(2);
    expect(family().foldedUpdates).toBe(2);
    expect(family().series.find((s) => s.overflow)?.value).toBe(3);
  });

  it('gives an overflowed handle a series of its own once room frees up', () => {
    const { counter, family, tick } = setup(1);
    counter.inc({ user: 'a' });
    const late = counter.labels({ user: 'late' });
    late.inc();
    counter.remove({ user: 'a' });
    late.inc(5);
    const f = family();
    expect(f.series.find((s) => s.labels.user === 'late')?.value).toBe(5);
    expect(f.foldedUpdates).toBe(1);
    expect(counter.labels({ user: 'late' })).toBe(late);
    tick(1);
  });

  it('applies to histograms, whose overflow series has buckets too', () => {
    const registry = createRegistry({ warn: () => {} });
    const h = registry.histogram({ name: 'h', help: 'H.', labelNames: ['k'], seriesLimit: 1, buckets: [1] });
    h.observe({ k: 'a' }, 0.5);
    h.observe({ k: 'b' }, 2);
    h.labels({ k: 'c' }).observe(0.5);
    const f = registry.collect().families[0] as HistogramFamilySnapshot;
    expect(f.foldedUpdates).toBe(2);
    expect(f.series[1]).toMatchObject({ overflow: true, count: 2, sum: 2.5 });
    expect(f.series[1]?.counts).toEqual([1, 2]);
  });
});
