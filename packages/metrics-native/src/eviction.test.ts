import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot, GaugeFamilySnapshot, HistogramFamilySnapshot } from './snapshot';

function setup(idleTtlMs = 1_000) {
  let time = 10_000;
  const registry = createRegistry({ now: () => time, warn: () => {}, idleTtlMs });
  return {
    registry,
    tick: (ms: number) => {
      time += ms;
    },
  };
}

describe('idle eviction', () => {
  it('evicts series not updated for longer than the TTL, on collect', () => {
    const { registry, tick } = setup(1_000);
    const counter = registry.counter({ name: 'hits_total', help: 'Hits.', labelNames: ['page'] });
    counter.inc({ page: 'busy' });
    counter.inc({ page: 'idle' });
    registry.collect();
    tick(600);
    counter.inc({ page: 'busy' });
    registry.collect();
    tick(600);
    // idle: last seen 1 200 ms ago; busy: 600 ms ago.
    const f = registry.collect().families[0] as CounterFamilySnapshot;
    expect(f.series.map((s) => s.labels.page)).toEqual(['busy']);
    expect(f.evictedSeries).toBe(1);
  });

  it('evicts a series idle for more than the TTL, not one idle for exactly the TTL', () => {
    const { registry, tick } = setup(1_000);
    const gauge = registry.gauge({ name: 'g', help: 'G.', labelNames: ['k'] });
    gauge.set({ k: 'a' }, 1);
    // The collect after an update stands for its time: no clock is read per update.
    registry.collect();
    tick(1_000);
    expect((registry.collect().families[0] as GaugeFamilySnapshot).series).toHaveLength(1);
    tick(1);
    expect((registry.collect().families[0] as GaugeFamilySnapshot).series).toHaveLength(0);
  });

  it('reads no clock per update: idleness is the touched flag swept on collect', () => {
    let reads = 0;
    let time = 0;
    const registry = createRegistry({
      now: () => {
        reads++;
        return time;
      },
      idleTtlMs: 100,
      warn: () => {},
    });
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    const handle = counter.labels({ k: 'a' });
    const created = reads;
    for (let i = 0; i < 1_000; i++) {
      handle.inc();
      counter.inc({ k: 'a' });
    }
    expect(reads).toBe(created);
    time = 50;
    registry.collect();
    time = 140;
    // Updated before the collect at 50: still alive at 140.
    expect((registry.collect().families[0] as CounterFamilySnapshot).series[0]?.value).toBe(2_000);
  });

  it('never evicts the series of an unlabelled instrument', () => {
    const { registry, tick } = setup(10);
    registry.gauge({ name: 'build_info', help: 'Build.' }).set(1);
    tick(1_000_000);
    expect((registry.collect().families[0] as GaugeFamilySnapshot).series[0]?.value).toBe(1);
  });

  it('never evicts with the default TTL', () => {
    let time = 0;
    const registry = createRegistry({ now: () => time, warn: () => {} });
    registry.gauge({ name: 'info', help: 'I.', labelNames: ['version'] }).set({ version: '1.2.3' }, 1);
    time = 365 * 24 * 3_600_000;
    expect((registry.collect().families[0] as GaugeFamilySnapshot).series).toHaveLength(1);
  });

  it('lets an instrument override the registry TTL', () => {
    const { registry, tick } = setup(1_000);
    const short = registry.counter({ name: 'a_total', help: 'A.', labelNames: ['k'], idleTtlMs: 100 });
    const long = registry.counter({
      name: 'b_total',
      help: 'B.',
      labelNames: ['k'],
      idleTtlMs: Number.POSITIVE_INFINITY,
    });
    short.inc({ k: 'x' });
    long.inc({ k: 'x' });
    registry.collect();
    tick(5_000);
    const [a, b] = registry.collect().families;
    expect(a?.series).toHaveLength(0);
    expect(b?.series).toHaveLength(1);
  });

  it('re-creates an evicted series when its bound handle is used again, losing nothing', () => {
    const { registry, tick } = setup(1_000);
    const counter = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    const mail = counter.labels({ queue: 'mail' });
    mail.inc(3);
    registry.collect();
    tick(2_000);
    const evicted = registry.collect().families[0] as CounterFamilySnapshot;
    expect(evicted.series).toHaveLength(0);
    expect(evicted.evictedSeries).toBe(1);
    mail.inc(2);
    mail.inc();
    const revived = registry.collect().families[0] as CounterFamilySnapshot;
    expect(revived.series).toEqual([
      {
        labels: { queue: 'mail' },
        // The same slot, reused: a new generation tells the series apart from the evicted one.
        slot: 0,
        generation: 1,
        value: 3,
        created: 12_000,
        overflow: false,
        exemplar: undefined,
      },
    ]);
    expect(counter.labels({ queue: 'mail' })).toBe(mail);
  });

  it('re-creates evicted gauge and histogram series through their handles', () => {
    const { registry, tick } = setup(1_000);
    const gauge = registry.gauge({ name: 'g', help: 'G.', labelNames: ['k'] });
    const histogram = registry.histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [1] });
    const g = gauge.labels({ k: 'a' });
    const h = histogram.labels({ k: 'a' });
    g.set(5);
    h.observe(0.5);
    registry.collect();
    tick(5_000);
    registry.collect();
    g.inc();
    h.observe(3);
    const [gf, hf] = registry.collect().families as [GaugeFamilySnapshot, HistogramFamilySnapshot];
    expect(gf.series[0]?.value).toBe(1);
    expect(hf.series[0]).toMatchObject({ count: 1, sum: 3 });
  });

  it('keeps a handle working when its slot is reused by another series', () => {
    const { registry, tick } = setup(1_000);
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    const old = counter.labels({ k: 'old' });
    old.inc();
    registry.collect();
    tick(5_000);
    registry.collect();
    counter.inc({ k: 'new' }, 10);
    old.inc(2);
    const f = registry.collect().families[0] as CounterFamilySnapshot;
    expect(Object.fromEntries(f.series.map((s) => [s.labels.k, s.value]))).toEqual({ new: 10, old: 2 });
  });

  it('evicts an idle overflow series too', () => {
    const { registry, tick } = setup(1_000);
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'], seriesLimit: 1 });
    counter.inc({ k: 'a' });
    counter.inc({ k: 'b' });
    registry.collect();
    tick(500);
    counter.inc({ k: 'a' });
    registry.collect();
    tick(600);
    const f = registry.collect().families[0] as CounterFamilySnapshot;
    expect(f.series.map((s) => s.overflow)).toEqual([false]);
    expect(f.evictedSeries).toBe(1);
    counter.inc({ k: 'b' });
    expect((registry.collect().families[0] as CounterFamilySnapshot).series.map((s) => s.overflow)).toEqual([
      false,
      true,
    ]);
  });
});
