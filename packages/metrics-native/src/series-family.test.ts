import { afterEach, describe, expect, it, vi } from 'vitest';
import { Collection } from './collection';
import { parseInstrumentOptions } from './instrument-options';
import { createRegistry } from './registry';
import { RetentionRings } from './retention-rings';
import { SeriesFamily } from './series-family';
import type { CounterFamilySnapshot, HistogramFamilySnapshot } from './snapshot';

function family(options: Record<string, unknown>, type: 'counter' | 'gauge' | 'histogram' = 'counter') {
  const config = parseInstrumentOptions(type, options, {
    seriesLimit: 2000,
    idleTtlMs: Number.POSITIVE_INFINITY,
  });
  return new SeriesFamily(config, { now: () => 0, warn: () => {}, compileLookups: true });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('series store growth', () => {
  it('keeps values, exemplars and bound handles right while the columns grow', () => {
    const registry = createRegistry({ now: () => 9, warn: () => {} });
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    const early = counter.labels({ k: 'early' });
    early.inc(1, { trace_id: 'first' });
    for (let i = 0; i < 1_000; i++) counter.inc({ k: `v${i}` }, i);
    early.inc(2);
    const f = registry.collect().families[0] as CounterFamilySnapshot;
    expect(f.series).toHaveLength(1_001);
    expect(f.series[0]).toEqual({
      labels: { k: 'early' },
      slot: 0,
      generation: 0,
      value: 3,
      created: 9,
      overflow: false,
      exemplar: { labels: { trace_id: 'first' }, value: 1, timestamp: 9 },
    });
    expect(f.series.find((s) => s.labels.k === 'v999')?.value).toBe(999);
  });

  it('never grows past the series limit plus the overflow series', () => {
    const f = family({ name: 'c_total', help: 'C.', labelNames: ['k'], seriesLimit: 100 });
    for (let i = 0; i < 5_000; i++) f.acquire([`v${i}`], true);
    expect(f.store.capacity).toBe(101);
    expect(f.liveSeries).toBe(100);
    expect(f.counts.foldedUpdates).toBe(4_900);
  });

  it('reuses the slots of evicted series instead of growing', () => {
    const f = family({ name: 'c_total', help: 'C.', labelNames: ['k'], idleTtlMs: 10 });
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 8; i++) f.acquire([`r${round}-${i}`], true);
      new Collection([f], round * 100).step(Number.POSITIVE_INFINITY);
      new Collection([f], round * 100 + 50).step(Number.POSITIVE_INFINITY);
    }
    expect(f.store.capacity).toBe(8);
    expect(f.counts.evictedSeries).toBe(50 * 8);
  });

  it('keeps histogram bucket counts and sums across growth', () => {
    const registry = createRegistry({ warn: () => {} });
    const h = registry.histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [1, 2] });
    const first = h.labels({ k: 'first' });
    first.observe(0.5);
    for (let i = 0; i < 300; i++) h.observe({ k: `v${i}` }, 1.5);
    first.observe(3);
    const f = registry.collect().families[0] as HistogramFamilySnapshot;
    expect(f.series[0]).toMatchObject({ count: 2, sum: 3.5 });
    expect(f.series[0]?.counts).toEqual([1, 1, 2]);
    expect(f.series[300]?.counts).toEqual([0, 1, 1]);
  });
});

describe('retention memory', () => {
  it('stays within the bound computed when the instrument is made', () => {
    const f = family({ name: 'c_total', help: 'C.', labelNames: ['k'], seriesLimit: 50, retention: true });
    const max = RetentionRings.maxBytes(f.config.retention, 1, 51);
    expect(max).toBe(51 * 84 * 8);
    for (let i = 0; i < 10_000; i++) f.acquire([`v${i}`], true);
    expect(f.rings?.data.byteLength).toBeLessThanOrEqual(max);
    expect(f.rings?.data.byteLength).toBe(max);
  });

  it('keeps two numbers per point for histograms', () => {
    const f = family({ name: 'h', help: 'H.', retention: [{ resolutionMs: 1000, points: 10 }] }, 'histogram');
    expect(f.rings?.perSlot).toBe(20);
  });
});

describe('unlabelled counters and gauges', () => {
  it('read their field into snapshots, history and samples', () => {
    let time = 0;
    const registry = createRegistry({ now: () => time, warn: () => {} });
    const jobs = registry.counter({
      name: 'jobs_total',
      help: 'J.',
      retention: [{ resolutionMs: 1_000, points: 10 }],
    });
    const temp = registry.gauge({
      name: 'temp',
      help: 'T.',
      retention: [{ resolutionMs: 1_000, points: 10 }],
    });
    jobs.inc(2);
    temp.set(20);
    registry.sample();
    time = 1_000;
    jobs.inc();
    temp.dec(5);
    const history = registry.history('jobs_total', { window: 10_000 });
    expect(history.series[0]?.points).toEqual([
      { timestamp: 0, value: 2 },
      { timestamp: 1_000, value: 3 },
    ]);
    expect(registry.history('temp', { window: 10_000 }).series[0]?.points).toEqual([
      { timestamp: 0, value: 20 },
      { timestamp: 1_000, value: 15 },
    ]);
    temp.inc(0.5);
    const snapshot = registry.collect();
    expect(snapshot.families.map((f) => (f.series[0] as { value: number }).value)).toEqual([3, 15.5]);
  });
});

describe('eviction timing', () => {
  it('dates an update by the collect that follows it', () => {
    let time = 0;
    const registry = createRegistry({ now: () => time, idleTtlMs: 1_000, warn: () => {} });
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    counter.inc({ k: 'a' });
    registry.collect();
    time = 100;
    counter.inc({ k: 'a' });
    time = 900;
    registry.collect(); // sees the update of t=100 and dates it 900
    time = 1_900;
    expect(registry.collect().families[0]?.series).toHaveLength(1);
    time = 1_901;
    expect(registry.collect().families[0]?.series).toHaveLength(0);
  });
});

describe('warnings', () => {
  it('go to process.emitWarning by default, once per instrument and kind', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const registry = createRegistry();
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    counter.inc({ k: 'a' }, -1);
    counter.inc({ k: 'a' }, -2);
    counter.inc({} as never);
    expect(emit).toHaveBeenCalledTimes(2);
    expect(emit.mock.calls[0]).toEqual([
      'counter "c_total" dropped an update of -1: expected a finite number ≥ 0 (counters only go up). Further drops are counted in the snapshot (dropped.invalidValue).',
      { code: 'TASKER_METRICS' },
    ]);
  });
});
