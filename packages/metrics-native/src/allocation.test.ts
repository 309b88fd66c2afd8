/**
 * The update path allocates nothing: a million updates run without a single garbage
 * collection. A loop that allocates (the control) shows that the check can fail.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';

v8.setFlagsFromString('--expose-gc');
const forceGc = vm.runInNewContext('gc') as () => void;

const LOOP = 1_000_000;

/** GC events that started while `body` ran (after a warm-up run and a full GC). */
async function gcsDuring(body: (n: number) => void): Promise<number> {
  body(LOOP);
  forceGc();
  const starts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) starts.push(entry.startTime);
  });
  observer.observe({ entryTypes: ['gc'] });
  await new Promise((resolve) => setTimeout(resolve, 10));
  const start = performance.now();
  body(LOOP);
  const end = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  observer.disconnect();
  return starts.filter((t) => t >= start && t <= end).length;
}

function setup() {
  const registry = createRegistry({ warn: () => {}, defaultSeriesLimit: 60 });
  const counter = registry.counter({
    name: 'c_total',
    help: 'C.',
    labelNames: ['method', 'route', 'status'],
  });
  const gauge = registry.gauge({ name: 'g', help: 'G.', labelNames: ['pool', 'state'] });
  const histogram = registry.histogram({ name: 'h_seconds', help: 'H.', labelNames: ['route'] });
  const sets = Array.from({ length: 50 }, (_, i) => ({
    method: `m${i % 5}`,
    route: `/r${i % 10}`,
    status: `${i}`,
  }));
  const pools = Array.from({ length: 50 }, (_, i) => ({ pool: `p${i % 5}`, state: `s${i % 10}` }));
  const routes = Array.from({ length: 50 }, (_, i) => ({ route: `/r${i}` }));
  const beyond = Array.from({ length: 50 }, (_, i) => ({ method: 'x', route: 'y', status: `beyond-${i}` }));
  const missing = { method: 'GET', route: '/' } as never;
  return { registry, counter, gauge, histogram, sets, pools, routes, beyond, missing };
}

describe('allocation on the update path', () => {
  it('a loop that allocates triggers garbage collections (the control)', async () => {
    const kept: { value: string }[] = [];
    const gcs = await gcsDuring((n) => {
      for (let i = 0; i < n; i++) {
        kept[i & 1023] = { value: `v${i}` };
      }
    });
    expect(gcs).toBeGreaterThan(0);
  });

  it('per-call updates of existing series allocate nothing', async () => {
    const { counter, gauge, histogram, sets, pools, routes } = setup();
    const gcs = await gcsDuring((n) => {
      let j = 0;
      for (let i = 0; i < n; i++) {
        counter.inc(sets[j] as (typeof sets)[number]);
        gauge.set(pools[j] as (typeof pools)[number], i);
        histogram.observe(routes[j] as (typeof routes)[number], (i & 15) / 10);
        if (++j === 50) j = 0;
      }
    });
    expect(gcs).toBe(0);
  });

  it('bound updates allocate nothing', async () => {
    const { counter, gauge, histogram, sets, pools, routes } = setup();
    const c = counter.labels(sets[0] as (typeof sets)[number]);
    const g = gauge.labels(pools[0] as (typeof pools)[number]);
    const h = histogram.labels(routes[0] as (typeof routes)[number]);
    const gcs = await gcsDuring((n) => {
      for (let i = 0; i < n; i++) {
        c.inc();
        g.set(i);
        h.observe((i & 15) / 10);
      }
    });
    expect(gcs).toBe(0);
  });

  it('dropped updates and updates folded past the series limit allocate nothing', async () => {
    const { registry, counter, sets, beyond, missing } = setup();
    // 50 + 10 label sets fill the limit of 60; the other 40 fold into the overflow series.
    for (const labels of [...sets, ...beyond.slice(0, 10)]) counter.inc(labels);
    const folded = beyond.slice(10);
    const late = counter.labels({ method: 'late', route: 'late', status: 'late' });
    const bad = counter.labels(missing);
    const gcs = await gcsDuring((n) => {
      let j = 0;
      for (let i = 0; i < n; i++) {
        counter.inc(folded[j] as (typeof folded)[number]);
        late.inc();
        counter.inc(sets[j] as (typeof sets)[number], -1);
        counter.inc(missing);
        bad.inc();
        if (++j === folded.length) j = 0;
      }
    });
    expect(gcs).toBe(0);
    const family = registry.collect().families[0];
    // The warm-up run and the measured run.
    expect(family?.foldedUpdates).toBe(4 * LOOP);
    expect(family?.dropped).toEqual({
      invalidValue: 2 * LOOP,
      invalidLabels: 4 * LOOP + 1,
      invalidExemplar: 0,
    });
  });
});
