/**
 * Type-level tests: each `@ts-expect-error` fails `pnpm typecheck` if the line below it
 * compiles. The calls also run, and the runtime drops what the types reject.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CounterHandle, LabelledCounter, UnlabelledCounter } from './counter';
import type { LabelledGauge } from './gauge';
import type { HistogramHandle, LabelledHistogram } from './histogram';
import { createRegistry } from './registry';

describe('label names are typed', () => {
  it('infers the label names of an instrument from labelNames', () => {
    const registry = createRegistry({ warn: () => {} });
    const requests = registry.counter({
      name: 'http_requests_total',
      help: 'Requests.',
      labelNames: ['method', 'status'],
    });
    expectTypeOf(requests).toEqualTypeOf<LabelledCounter<'method' | 'status'>>();
    const plain = registry.counter({ name: 'jobs_total', help: 'Jobs.' });
    expectTypeOf(plain).toEqualTypeOf<UnlabelledCounter>();
    const gauge = registry.gauge({ name: 'g', help: 'G.', labelNames: ['pool'] });
    expectTypeOf(gauge).toEqualTypeOf<LabelledGauge<'pool'>>();
    const histogram = registry.histogram({ name: 'h', help: 'H.', labelNames: ['route'] });
    expectTypeOf(histogram).toEqualTypeOf<LabelledHistogram<'route'>>();
    expectTypeOf(requests.labels({ method: 'GET', status: '200' })).toEqualTypeOf<CounterHandle>();
    expectTypeOf(histogram.labels({ route: '/' })).toEqualTypeOf<HistogramHandle>();
  });

  it('rejects wrong, missing and extra label names at compile time', () => {
    const registry = createRegistry({ warn: () => {} });
    const requests = registry.counter({
      name: 'http_requests_total',
      help: 'Requests.',
      labelNames: ['method', 'status'],
    });
    // @ts-expect-error: "methd" is not a label name (and "method" is missing).
    requests.inc({ methd: 'GET', status: '200' });
    // @ts-expect-error: "status" is missing.
    requests.inc({ method: 'GET' });
    // @ts-expect-error: "route" is not a label of this counter.
    requests.inc({ method: 'GET', status: '200', route: '/' });
    // @ts-expect-error: label values are strings.
    requests.inc({ method: 'GET', status: 200 });
    // @ts-expect-error: a labelled counter takes its labels first.
    requests.inc(1);
    // @ts-expect-error: wrong label name on labels().
    requests.labels({ method: 'GET', code: '200' });
    // @ts-expect-error: wrong label name on remove().
    requests.remove({ verb: 'GET', status: '200' });
    const snapshot = registry.collect().families[0];
    expect(snapshot?.dropped.invalidLabels).toBe(5);
    expect(snapshot?.series).toHaveLength(1);
  });

  it('rejects labels on an unlabelled instrument and bad update values', () => {
    const registry = createRegistry({ warn: () => {} });
    const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs.' });
    // @ts-expect-error: no labels on an unlabelled counter.
    jobs.inc({ queue: 'mail' });
    // @ts-expect-error: values are numbers.
    jobs.inc('1');
    const latency = registry.histogram({ name: 'latency_seconds', help: 'L.', labelNames: ['route'] });
    // @ts-expect-error: observe needs a value.
    latency.observe({ route: '/' });
    // @ts-expect-error: exemplar label values are strings.
    latency.observe({ route: '/' }, 1, { trace_id: 5 });
    const temp = registry.gauge({ name: 'temp', help: 'T.' });
    // @ts-expect-error: set needs a value.
    temp.set();
    const snapshot = registry.collect();
    expect(snapshot.families.map((f) => f.dropped.invalidValue + f.dropped.invalidLabels)).toEqual([2, 1, 1]);
    expect(snapshot.families[1]?.dropped.invalidExemplar).toBe(1);
  });

  it('types the collect callback of a gauge by its labels', () => {
    const registry = createRegistry({ warn: () => {} });
    registry.gauge({
      name: 'pool_size',
      help: 'Pool.',
      labelNames: ['pool'],
      collect: (gauge) => {
        gauge.set({ pool: 'main' }, 3);
        // @ts-expect-error: "db" is not a label of this gauge.
        gauge.set({ db: 'main' }, 3);
      },
    });
    expect(registry.collect().families[0]?.series).toHaveLength(1);
  });

  it('makes snapshots read-only', () => {
    const registry = createRegistry({ warn: () => {} });
    registry.counter({ name: 'jobs_total', help: 'Jobs.' }).inc();
    const snapshot = registry.collect();
    const family = snapshot.families[0];
    if (family === undefined) throw new Error('no family');
    expect(() => {
      // @ts-expect-error: snapshots are read-only.
      family.name = 'other_total';
    }).toThrow(TypeError);
    expect(family.name).toBe('jobs_total');
  });
});
