/**
 * `registry.collectInSlices()`: the same snapshot as `collect()`, taken in slices that yield to
 * the event loop, and the rule for values that change between slices (collection.ts).
 *
 * A tiny `sliceMs` makes every slice end at its first clock check, so each slice reads exactly
 * 128 series, and `onSlice` (called at the end of each slice, before the collect yields) is
 * where the tests change the registry "during" the collect.
 */
import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot, HistogramFamilySnapshot, MetricsSnapshot } from './snapshot';

const EVERY_CHECK = 1e-9;

function setup() {
  let time = 1_000;
  const registry = createRegistry({ now: () => time, warn: () => {}, defaultSeriesLimit: 5_000 });
  const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
  const histogram = registry.histogram({ name: 'h', help: 'H.', labelNames: ['k'], buckets: [1, 2] });
  for (let i = 0; i < 1_000; i++) counter.inc({ k: `s${i}` }, i);
  for (let i = 0; i < 300; i++) histogram.observe({ k: `s${i}` }, 0.5);
  return { registry, counter, histogram, tick: (ms: number) => (time += ms) };
}

const values = (snapshot: MetricsSnapshot, name = 'c_total') =>
  new Map(
    (snapshot.families.find((f) => f.name === name) as CounterFamilySnapshot).series.map((s) => [
      s.labels.k,
      s.value,
    ]),
  );

describe('registry.collectInSlices', () => {
  it('gives the snapshot collect() gives, over several slices that yield to the event loop', async () => {
    const { registry, counter } = setup();
    counter.labels({ k: 'bound' }).inc(3);
    registry.gauge({ name: 'g', help: 'G.', collect: (g) => g.set(7) });
    const slices: number[] = [];
    let turns = 0;
    const spin = () => {
      turns++;
      if (slices.length < 100) setImmediate(spin);
    };
    setImmediate(spin);
    const sliced = await registry.collectInSlices({ sliceMs: EVERY_CHECK, onSlice: (ms) => slices.push(ms) });
    // 1 001 counter series, 300 histogram series, one gauge: 128 series a slice.
    expect(slices).toHaveLength(Math.ceil(1_302 / 128));
    expect(turns).toBeGreaterThanOrEqual(slices.length - 1);
    expect(sliced).toEqual(registry.collect());
    expect(Object.isFrozen(sliced.families[0]?.series)).toBe(true);
  });

  it('reads each series once, at its turn: updates before it are in, updates after it wait', async () => {
    const { registry, counter } = setup();
    let first = true;
    const snapshot = await registry.collectInSlices({
      sliceMs: EVERY_CHECK,
      onSlice: () => {
        if (!first) return;
        first = false;
        counter.inc({ k: 's0' }, 1_000_000); // read in the first slice
        counter.inc({ k: 's999' }, 1_000_000); // read in a later slice
      },
    });
    expect(values(snapshot).get('s0')).toBe(0);
    expect(values(snapshot).get('s999')).toBe(999 + 1_000_000);
    const next = registry.collect();
    expect(values(next).get('s0')).toBe(1_000_000);
    // A counter never shows a smaller value in a later snapshot.
    for (const [k, v] of values(snapshot)) expect(values(next).get(k)).toBeGreaterThanOrEqual(v);
  });

  it('follows the same rule for updates through bound handles', async () => {
    const { registry, counter } = setup();
    const early = counter.labels({ k: 's0' });
    const late = counter.labels({ k: 's999' });
    let first = true;
    const snapshot = await registry.collectInSlices({
      sliceMs: EVERY_CHECK,
      onSlice: () => {
        if (!first) return;
        first = false;
        early.inc(1_000_000);
        late.inc(1_000_000);
      },
    });
    expect(values(snapshot).get('s0')).toBe(0);
    expect(values(snapshot).get('s999')).toBe(999 + 1_000_000);
    expect(values(registry.collect()).get('s0')).toBe(1_000_000);
  });

  it('keeps a series that a handle updates during the collect, before its turn', async () => {
    let time = 0;
    const registry = createRegistry({ now: () => time, warn: () => {}, idleTtlMs: 1_000 });
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    for (let i = 0; i < 400; i++) counter.inc({ k: `s${i}` });
    const last = counter.labels({ k: 's399' });
    registry.collect();
    time = 2_000;
    const snapshot = await registry.collectInSlices({ sliceMs: EVERY_CHECK, onSlice: () => last.inc() });
    // 400 series: 4 slices. The handle adds 1 after each of the first 3, before s399's turn
    // (its value: 1 + 3); the 4th comes after the last read, for the next collect.
    expect((snapshot.families[0] as CounterFamilySnapshot).series.map((s) => [s.labels.k, s.value])).toEqual([
      ['s399', 4],
    ]);
    expect((registry.collect().families[0] as CounterFamilySnapshot).series[0]?.value).toBe(5);
  });

  it('leaves series created during the collect to the next one, even in a reused slot', async () => {
    const { registry, counter } = setup();
    let first = true;
    const snapshot = await registry.collectInSlices({
      sliceMs: EVERY_CHECK,
      onSlice: () => {
        if (!first) return;
        first = false;
        counter.remove({ k: 's500' }); // not read yet: frees a slot
        counter.inc({ k: 'late' }, 5); // takes that slot, ahead of the walk
        counter.remove({ k: 's1' }); // read already
      },
    });
    const v = values(snapshot);
    expect(v.has('late')).toBe(false);
    expect(v.has('s500')).toBe(false);
    expect(v.get('s1')).toBe(1);
    expect(v.size).toBe(999);
    const next = values(registry.collect());
    expect(next.get('late')).toBe(5);
    expect(next.has('s1')).toBe(false);
  });

  it('reads a histogram series in one piece: its buckets, count and sum agree', async () => {
    const { registry, histogram } = setup();
    let first = true;
    const snapshot = await registry.collectInSlices({
      sliceMs: EVERY_CHECK,
      onSlice: () => {
        if (!first) return;
        first = false;
        histogram.observe({ k: 's299' }, 1.5);
        histogram.observe({ k: 's299' }, 3);
      },
    });
    const h = snapshot.families[1] as HistogramFamilySnapshot;
    expect(h.series[299]).toMatchObject({ counts: [1, 2, 3], count: 3, sum: 5 });
  });

  it('evicts by the time the collect started, and counts evictions when the family is done', async () => {
    let time = 0;
    const registry = createRegistry({ now: () => time, warn: () => {}, idleTtlMs: 1_000 });
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    for (let i = 0; i < 400; i++) counter.inc({ k: `s${i}` });
    registry.collect();
    time = 2_000;
    counter.inc({ k: 's0' });
    const snapshot = await registry.collectInSlices({
      sliceMs: EVERY_CHECK,
      onSlice: () => {
        // The clock moves on; the collect's decisions keep using its start time.
        time += 10_000;
        counter.inc({ k: 's399' });
      },
    });
    expect(snapshot.timestamp).toBe(2_000);
    const f = snapshot.families[0] as CounterFamilySnapshot;
    // s0 was touched before the start; s399 was touched during the collect, before its turn.
    expect(f.series.map((s) => s.labels.k)).toEqual(['s0', 's399']);
    expect(f.evictedSeries).toBe(398);
  });

  it('rejects bad options, naming the field', async () => {
    const { registry } = setup();
    await expect(registry.collectInSlices({ sliceMs: 0 })).rejects.toMatchObject({
      code: 'COLLECT_OPTIONS_INVALID',
      message: expect.stringContaining('sliceMs: expected a positive number'),
    });
    await expect(registry.collectInSlices({ slices: 2 } as never)).rejects.toThrow('slices: unknown field');
  });
});
