import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry';
import type { CounterFamilySnapshot, CounterSeriesSnapshot } from './snapshot';

function setup() {
  const warnings: string[] = [];
  let time = 1_000;
  const registry = createRegistry({ now: () => time, warn: (m) => warnings.push(m) });
  const counter = registry.counter({
    name: 'http_requests_total',
    help: 'HTTP requests.',
    labelNames: ['method', 'route', 'status'],
  });
  const family = () => registry.collect().families[0] as CounterFamilySnapshot;
  const series = (labels: Record<string, string>): CounterSeriesSnapshot | undefined =>
    family().series.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    registry,
    counter,
    family,
    series,
    warnings,
    tick: (ms: number) => {
      time += ms;
    },
  };
}

const GET = { method: 'GET', route: '/orders', status: '200' };
const POST = { method: 'POST', route: '/orders', status: '201' };

describe('counter, per-call labels', () => {
  it('adds 1 by default and the given value otherwise, per label set', () => {
    const { counter, series } = setup();
    counter.inc(GET);
    counter.inc(GET, 2.5);
    counter.inc(POST, 4);
    expect(series(GET)?.value).toBe(3.5);
    expect(series(POST)?.value).toBe(4);
  });

  it('finds the same series whatever the key order of the labels object', () => {
    const { counter, family } = setup();
    counter.inc({ status: '200', route: '/orders', method: 'GET' });
    counter.inc(GET);
    expect(family().series).toHaveLength(1);
    expect(family().series[0]?.value).toBe(2);
  });

  it('stamps each series with its creation time', () => {
    const { counter, series, tick } = setup();
    counter.inc(GET);
    tick(500);
    counter.inc(POST);
    counter.inc(GET);
    expect(series(GET)?.created).toBe(1_000);
    expect(series(POST)?.created).toBe(1_500);
  });

  it('treats label values as opaque strings, the empty string included', () => {
    const { counter, series } = setup();
    counter.inc({ method: '', route: 'a|b', status: '__proto__' });
    counter.inc({ method: '', route: 'a|b', status: '__proto__' });
    counter.inc({ method: 'a', route: '', status: 'b|__proto__' });
    expect(series({ method: '', route: 'a|b' })?.value).toBe(2);
    expect(series({ method: 'a', route: '' })?.value).toBe(1);
  });

  it('drops negative, NaN and infinite increments, counts them and warns once', () => {
    const { counter, family, warnings } = setup();
    counter.inc(GET, -1);
    counter.inc(GET, Number.NaN);
    counter.inc(GET, Number.POSITIVE_INFINITY);
    counter.inc(GET, Number.NEGATIVE_INFINITY);
    counter.inc(GET, '5' as never);
    counter.inc(GET, 1);
    const f = family();
    expect(f.dropped.invalidValue).toBe(5);
    expect(f.series[0]?.value).toBe(1);
    expect(warnings).toEqual([
      'counter "http_requests_total" dropped an update of -1: expected a finite number ≥ 0 (counters only go up). Further drops are counted in the snapshot (dropped.invalidValue).',
    ]);
  });

  it('drops updates with missing or non-string labels, counts them and warns once', () => {
    const { counter, family, warnings } = setup();
    counter.inc({ method: 'GET', route: '/orders' } as never);
    counter.inc({ method: 'GET', route: '/orders', status: 200 } as never);
    counter.inc(null as never);
    counter.inc('GET' as never);
    counter.inc(undefined as never);
    const f = family();
    expect(f.dropped.invalidLabels).toBe(5);
    expect(f.series).toHaveLength(0);
    expect(warnings).toEqual([
      'counter "http_requests_total" dropped an update: label "status" is missing. Further drops are counted in the snapshot (dropped.invalidLabels).',
    ]);
  });

  it('ignores undeclared labels and warns once', () => {
    const { counter, family, warnings } = setup();
    counter.inc({ ...GET, region: 'eu' } as never);
    counter.inc({ ...GET, region: 'us' } as never);
    expect(family().series).toHaveLength(1);
    expect(family().series[0]?.value).toBe(2);
    expect(warnings).toEqual([
      'counter "http_requests_total" ignores label "region": it is not one of its labelNames (method, route, status).',
    ]);
  });

  it('deletes a series on remove', () => {
    const { counter, family } = setup();
    counter.inc(GET);
    counter.inc(POST);
    expect(counter.remove(GET)).toBe(true);
    expect(counter.remove(GET)).toBe(false);
    expect(family().series.map((s) => s.labels.method)).toEqual(['POST']);
    counter.inc(GET);
    expect(family().series.find((s) => s.labels.method === 'GET')?.value).toBe(1);
  });
});

describe('counter, bound handles', () => {
  it('returns the same handle for the same label values', () => {
    const { counter } = setup();
    const a = counter.labels(GET);
    expect(counter.labels({ ...GET })).toBe(a);
    expect(counter.labels({ status: '200', route: '/orders', method: 'GET' })).toBe(a);
    expect(counter.labels(POST)).not.toBe(a);
  });

  it('updates the same series as the per-call path', () => {
    const { counter, series } = setup();
    const handle = counter.labels(GET);
    handle.inc();
    handle.inc(2);
    counter.inc(GET);
    expect(series(GET)?.value).toBe(4);
  });

  it('makes the series when the handle is made, with its creation time', () => {
    const { counter, series, tick } = setup();
    tick(10);
    counter.labels(GET);
    expect(series(GET)).toMatchObject({ value: 0, created: 1_010 });
  });

  it('drops bad increments through a handle', () => {
    const { counter, family } = setup();
    const handle = counter.labels(GET);
    handle.inc(-3);
    handle.inc(Number.NaN);
    handle.inc(1);
    expect(family().dropped.invalidValue).toBe(2);
    expect(family().series[0]?.value).toBe(1);
  });

  it('gives a handle made from bad labels that drops and counts every update', () => {
    const { counter, family } = setup();
    const handle = counter.labels({ method: 'GET' } as never);
    handle.inc();
    handle.inc(5);
    expect(family().dropped.invalidLabels).toBe(3);
    expect(family().series).toHaveLength(0);
  });

  it('re-creates a removed series on the next update through its handle', () => {
    const { counter, series, tick } = setup();
    const handle = counter.labels(GET);
    handle.inc(5);
    counter.remove(GET);
    expect(series(GET)).toBeUndefined();
    tick(100);
    handle.inc();
    expect(series(GET)).toMatchObject({ value: 1, created: 1_100 });
    expect(counter.labels(GET)).toBe(handle);
  });
});

describe('counter without labels', () => {
  it('has one series from the start, updated directly', () => {
    const registry = createRegistry({ now: () => 42, warn: () => {} });
    const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs.' });
    expect(registry.collect().families[0]?.series).toEqual([
      { labels: {}, slot: 0, generation: 0, created: 42, overflow: false, value: 0, exemplar: undefined },
    ]);
    jobs.inc();
    jobs.inc(0.5);
    jobs.inc(-1);
    const family = registry.collect().families[0] as CounterFamilySnapshot;
    expect(family.series[0]?.value).toBe(1.5);
    expect(family.dropped.invalidValue).toBe(1);
    expect(family.labelNames).toEqual([]);
  });
});

describe('counter exemplars', () => {
  it('keeps the latest exemplar per series, with its value and time', () => {
    const { counter, series, tick } = setup();
    counter.inc(GET, 1, { trace_id: 'aaa' });
    tick(5);
    counter.inc(GET, 3, { trace_id: 'bbb', span_id: 'ccc' });
    counter.inc(GET, 1);
    counter.labels(POST).inc(2, { trace_id: 'ddd' });
    expect(series(GET)?.exemplar).toEqual({
      labels: { trace_id: 'bbb', span_id: 'ccc' },
      value: 3,
      timestamp: 1_005,
    });
    expect(series(POST)?.exemplar).toEqual({ labels: { trace_id: 'ddd' }, value: 2, timestamp: 1_005 });
  });

  it('copies the exemplar labels into the snapshot', () => {
    const { counter, series } = setup();
    const exemplar = { trace_id: 'aaa' };
    counter.inc(GET, 1, exemplar);
    const before = series(GET)?.exemplar;
    exemplar.trace_id = 'changed';
    expect(before?.labels).toEqual({ trace_id: 'aaa' });
    expect(Object.isFrozen(before?.labels)).toBe(true);
  });

  it('keeps the update but ignores, counts and warns about a bad exemplar', () => {
    const { counter, family, warnings } = setup();
    counter.inc(GET, 1, { 'trace-id': 'x' });
    counter.inc(GET, 1, { trace_id: 'x'.repeat(121) });
    counter.inc(GET, 1, { trace_id: 7 } as never);
    counter.inc(GET, 1, {});
    const f = family();
    expect(f.series[0]?.value).toBe(4);
    expect(f.series[0]?.exemplar).toBeUndefined();
    expect(f.dropped.invalidExemplar).toBe(4);
    expect(warnings).toEqual([
      'counter "http_requests_total" ignored an exemplar: exemplar label name "trace-id" is not a valid label name. The update itself was kept.',
    ]);
  });

  it('accepts exemplars of exactly 128 characters, counting code points', () => {
    const { counter, family } = setup();
    counter.inc(GET, 1, { trace_id: 'x'.repeat(120) });
    counter.inc(POST, 1, { trace_id: '😀'.repeat(120) });
    expect(family().dropped.invalidExemplar).toBe(0);
    expect(family().series.every((s) => s.exemplar !== undefined)).toBe(true);
  });
});
