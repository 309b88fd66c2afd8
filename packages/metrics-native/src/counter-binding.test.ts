/**
 * Bound counter handles write through a view of their series' cell (series-views.ts). The
 * family must keep every view current: across store growth, eviction, removal, and a slot
 * reused by another series; and updates through a view must keep their series from idling out.
 */
import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot } from './snapshot';

function setup(idleTtlMs = Number.POSITIVE_INFINITY) {
  let time = 10_000;
  const registry = createRegistry({ now: () => time, warn: () => {}, idleTtlMs });
  const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'], seriesLimit: 1_000 });
  const values = () =>
    Object.fromEntries(
      (registry.collect().families[0] as CounterFamilySnapshot).series.map((s) => [s.labels.k, s.value]),
    );
  return { registry, counter, values, tick: (ms: number) => (time += ms) };
}

describe('bound counter handles', () => {
  it('keep adding to their series after the store grows (its columns are new arrays)', () => {
    const { counter, values } = setup();
    const first = Array.from({ length: 5 }, (_, i) => counter.labels({ k: `h${i}` }));
    for (const h of first) h.inc();
    // The store starts with 8 slots and doubles: 500 more series make it grow several times.
    for (let i = 0; i < 500; i++) counter.inc({ k: `other${i}` });
    for (let round = 0; round < 50; round++) for (const h of first) h.inc(2);
    const v = values();
    for (let i = 0; i < 5; i++) expect(v[`h${i}`]).toBe(101);
    expect(v.other499).toBe(1);
    expect(Object.keys(v)).toHaveLength(505);
  });

  it('used in rotation, each adds to its own series and no other', () => {
    const { counter, values } = setup();
    const handles = Array.from({ length: 50 }, (_, i) => counter.labels({ k: `s${i}` }));
    let j = 0;
    for (let i = 0; i < 50 * 1_000 + 7; i++) {
      (handles[j] as (typeof handles)[number]).inc();
      if (++j === 50) j = 0;
    }
    const v = values();
    expect(v.s0).toBe(1_001);
    expect(v.s6).toBe(1_001);
    expect(v.s7).toBe(1_000);
    expect(v.s49).toBe(1_000);
  });

  it('keep a series alive while only a handle updates it, and let it idle out when it stops', () => {
    const { registry, counter, values, tick } = setup(1_000);
    const busy = counter.labels({ k: 'busy' });
    const quiet = counter.labels({ k: 'quiet' });
    busy.inc();
    quiet.inc();
    for (let i = 0; i < 5; i++) {
      registry.collect();
      tick(600);
      busy.inc();
    }
    expect(values()).toEqual({ busy: 6 });
    tick(2_000);
    expect(values()).toEqual({});
    expect((registry.collect().families[0] as CounterFamilySnapshot).evictedSeries).toBe(2);
  });

  it('are read by history and retention samples', () => {
    let time = 0;
    const registry = createRegistry({ now: () => time, warn: () => {} });
    const counter = registry.counter({ name: 'r_total', help: 'R.', labelNames: ['k'], retention: true });
    const handle = counter.labels({ k: 'a' });
    handle.inc(4);
    time = 60_000;
    handle.inc(3);
    const history = registry.history('r_total', { window: 3_600_000 });
    const points = history.series[0]?.points.map((p) => ('value' in p ? p.value : undefined));
    expect(points?.at(-1)).toBe(7);
  });

  it('stop writing to a removed series, and re-create it on their next update', () => {
    const { counter, values } = setup();
    const a = counter.labels({ k: 'a' });
    a.inc(5);
    counter.remove({ k: 'a' });
    // The freed slot goes to another series: the old handle must not add to it.
    counter.inc({ k: 'b' }, 1);
    expect(values()).toEqual({ b: 1 });
    a.inc(2);
    a.inc(3);
    expect(values()).toEqual({ b: 1, a: 5 });
    expect(counter.labels({ k: 'a' })).toBe(a);
  });

  it('two handles of one label set, one made after the other was evicted, add to one series', () => {
    const { registry, counter, values, tick } = setup(1_000);
    const old = counter.labels({ k: 'a' });
    old.inc();
    registry.collect();
    tick(2_000);
    registry.collect();
    const fresh = counter.labels({ k: 'a' });
    expect(fresh).not.toBe(old);
    fresh.inc(10);
    old.inc(100);
    expect(values()).toEqual({ a: 110 });
    // Both are detached when that series goes too.
    counter.remove({ k: 'a' });
    counter.inc({ k: 'z' });
    old.inc(1);
    fresh.inc(2);
    expect(values()).toEqual({ z: 1, a: 3 });
  });
});
