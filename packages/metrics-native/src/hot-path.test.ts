/**
 * The update path never throws. Every instrument and handle is fed NaN, -1, ±Infinity,
 * non-numbers, missing and extra labels, wrong label types and non-objects; each bad update
 * is dropped and counted, and the good ones land.
 */
import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';
import type { MetricFamilySnapshot } from './snapshot';

const BAD_NUMBERS: unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  '1',
  null,
  {},
  10n,
  Symbol('x'),
];
const BAD_LABELS: unknown[] = [
  { a: 'x' }, // one of two labels: a wrong label count
  { b: 'y' },
  {},
  { a: 'x', b: 2 },
  { a: 'x', b: null },
  { a: Symbol('s'), b: 'y' },
  null,
  undefined,
  'x',
  7,
  ['x', 'y'],
];

type AnyFn = (...args: unknown[]) => unknown;

function feed(fn: AnyFn, args: unknown[][]): void {
  args.forEach((a, i) => {
    expect(() => fn(...a), `arguments #${i}`).not.toThrow();
  });
}

function family(name: string, families: readonly MetricFamilySnapshot[]): MetricFamilySnapshot {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f;
}

describe('the update path never throws', () => {
  it('drops and counts bad values and bad labels on counters', () => {
    const registry = createRegistry({ warn: () => {} });
    const labelled = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'] });
    const plain = registry.counter({ name: 'p_total', help: 'P.' });
    const handle = labelled.labels({ a: 'x', b: 'y' });
    const counterBad = [...BAD_NUMBERS, -1, -0.0001];
    const good = { a: 'x', b: 'y' };
    feed(
      labelled.inc.bind(labelled) as AnyFn,
      counterBad.map((v) => [good, v]),
    );
    feed(
      labelled.inc.bind(labelled) as AnyFn,
      BAD_LABELS.map((l) => [l, 1]),
    );
    feed(
      handle.inc.bind(handle) as AnyFn,
      counterBad.map((v) => [v]),
    );
    feed(
      plain.inc.bind(plain) as AnyFn,
      counterBad.map((v) => [v]),
    );
    const bound = BAD_LABELS.map((l) => labelled.labels(l as never));
    for (const h of bound) expect(() => h.inc()).not.toThrow();
    labelled.inc(good);
    handle.inc();
    plain.inc();
    const families = registry.collect().families;
    const c = family('c_total', families);
    expect(c.dropped.invalidValue).toBe(2 * counterBad.length);
    // Each bad label set: one per-call update, one labels() call, one update through its handle.
    expect(c.dropped.invalidLabels).toBe(3 * BAD_LABELS.length);
    expect(c.series).toEqual([expect.objectContaining({ labels: good, value: 2 })]);
    expect(family('p_total', families)).toMatchObject({
      dropped: { invalidValue: counterBad.length },
      series: [expect.objectContaining({ value: 1 })],
    });
  });

  it('drops and counts bad values and bad labels on gauges', () => {
    const registry = createRegistry({ warn: () => {} });
    const gauge = registry.gauge({ name: 'g', help: 'G.', labelNames: ['a', 'b'] });
    const handle = gauge.labels({ a: 'x', b: 'y' });
    const good = { a: 'x', b: 'y' };
    for (const method of ['set', 'inc', 'dec'] as const) {
      feed(
        gauge[method].bind(gauge) as AnyFn,
        BAD_NUMBERS.map((v) => [good, v]),
      );
      feed(
        gauge[method].bind(gauge) as AnyFn,
        BAD_LABELS.map((l) => [l, 1]),
      );
      feed(
        handle[method].bind(handle) as AnyFn,
        BAD_NUMBERS.map((v) => [v]),
      );
    }
    gauge.set(good, 4);
    handle.dec();
    const g = family('g', registry.collect().families);
    expect(g.dropped.invalidValue).toBe(3 * 2 * BAD_NUMBERS.length);
    expect(g.dropped.invalidLabels).toBe(3 * BAD_LABELS.length);
    expect(g.series).toEqual([expect.objectContaining({ value: 3 })]);
  });

  it('drops and counts bad values and bad labels on histograms', () => {
    const registry = createRegistry({ warn: () => {} });
    const histogram = registry.histogram({ name: 'h', help: 'H.', labelNames: ['a', 'b'] });
    const plain = registry.histogram({ name: 'hp', help: 'H.' });
    const handle = histogram.labels({ a: 'x', b: 'y' });
    const good = { a: 'x', b: 'y' };
    feed(
      histogram.observe.bind(histogram) as AnyFn,
      BAD_NUMBERS.map((v) => [good, v]),
    );
    feed(
      histogram.observe.bind(histogram) as AnyFn,
      BAD_LABELS.map((l) => [l, 1]),
    );
    feed(
      handle.observe.bind(handle) as AnyFn,
      BAD_NUMBERS.map((v) => [v]),
    );
    feed(
      plain.observe.bind(plain) as AnyFn,
      BAD_NUMBERS.map((v) => [v]),
    );
    feed(handle.observe.bind(handle) as AnyFn, [
      [1, null],
      [1, 'trace'],
      [1, { trace_id: 1 }],
      [1, []],
    ]);
    histogram.observe(good, 0.2);
    const families = registry.collect().families;
    const h = family('h', families);
    expect(h.dropped.invalidValue).toBe(2 * BAD_NUMBERS.length);
    expect(h.dropped.invalidLabels).toBe(BAD_LABELS.length);
    // Bad exemplars (null, a string, a non-string value, an array) are counted; their observations are kept.
    expect(h.dropped.invalidExemplar).toBe(4);
    expect(h.series).toEqual([expect.objectContaining({ count: 5 })]);
    expect(family('hp', families).dropped.invalidValue).toBe(BAD_NUMBERS.length);
  });

  it('keeps going past the series limit and after evictions', () => {
    let time = 0;
    const registry = createRegistry({
      now: () => time,
      idleTtlMs: 10,
      defaultSeriesLimit: 2,
      warn: () => {},
    });
    const counter = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['k'] });
    const handles = Array.from({ length: 10 }, (_, i) => counter.labels({ k: `v${i}` }));
    for (let round = 0; round < 5; round++) {
      for (const h of handles) expect(() => h.inc()).not.toThrow();
      // Every series was evicted at the end of the previous round: the handles re-created
      // two series and folded the other eight updates into the overflow series.
      const series = registry.collect().families[0]?.series ?? [];
      expect(series).toHaveLength(3);
      expect(series.reduce((sum, s) => sum + ('value' in s ? s.value : 0), 0)).toBe(10);
      time += 100;
      expect(registry.collect().families[0]?.series).toHaveLength(0);
    }
  });
});
