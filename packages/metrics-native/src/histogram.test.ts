import { describe, expect, it } from 'vitest';
import { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from './buckets';
import { bucketIndex, paddedBounds } from './histogram';
import { createRegistry } from './registry';
import type { HistogramFamilySnapshot } from './snapshot';

function setup() {
  let time = 0;
  const registry = createRegistry({ now: () => time, warn: () => {} });
  const family = (name: string) =>
    registry.collect().families.find((f) => f.name === name) as HistogramFamilySnapshot;
  return {
    registry,
    family,
    tick: (ms: number) => {
      time += ms;
    },
  };
}

describe('bucketIndex', () => {
  const linear = (bounds: readonly number[], value: number) => {
    const i = bounds.findIndex((b) => value <= b);
    return i === -1 ? bounds.length : i;
  };

  it('finds the first bound ≥ the value, as a linear scan would, for the default buckets', () => {
    const padded = paddedBounds(DEFAULT_BUCKETS);
    expect(padded.length).toBe(16);
    const probes = [
      -1, 0, 0.001, 0.005, 0.0050001, 0.01, 0.07, 0.1, 0.5, 0.9999, 1, 2.5, 7, 10, 10.0001, 1e9, -1e300,
    ];
    for (const bound of DEFAULT_BUCKETS) probes.push(bound, bound * 0.999, bound * 1.001);
    for (const value of probes)
      expect(bucketIndex(padded, value), `value ${value}`).toBe(linear(DEFAULT_BUCKETS, value));
  });

  it('agrees with a linear scan for every bucket count from 1 to 40', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let count = 1; count <= 40; count++) {
      const bounds = linearBuckets(1, 1, count);
      const padded = paddedBounds(bounds);
      expect(padded.length).toBeGreaterThan(count);
      const probes = [
        0,
        0.5,
        count + 0.5,
        count + 100,
        ...bounds,
        ...Array.from({ length: 50 }, () => random() * (count + 2)),
      ];
      for (const value of probes) {
        expect(bucketIndex(padded, value), `${count} bounds, value ${value}`).toBe(linear(bounds, value));
      }
    }
  });
});

describe('histogram', () => {
  it('uses the default buckets plus +Inf, with cumulative counts, sum and count', () => {
    const { registry, family } = setup();
    const latency = registry.histogram({
      name: 'http_request_duration_seconds',
      help: 'Latency.',
      unit: 'seconds',
      labelNames: ['method', 'route'],
    });
    const labels = { method: 'GET', route: '/orders' };
    for (const value of [0.003, 0.005, 0.07, 0.3, 3, 30]) latency.observe(labels, value);
    const f = family('http_request_duration_seconds');
    expect(f.buckets).toEqual(DEFAULT_BUCKETS);
    const series = f.series[0];
    expect([...f.buckets, Number.POSITIVE_INFINITY].map((le, i) => [le, series?.counts[i]])).toEqual([
      [0.005, 2],
      [0.01, 2],
      [0.025, 2],
      [0.05, 2],
      [0.1, 3],
      [0.25, 3],
      [0.5, 4],
      [1, 4],
      [2.5, 4],
      [5, 5],
      [10, 5],
      [Number.POSITIVE_INFINITY, 6],
    ]);
    expect(series?.count).toBe(6);
    expect(series?.sum).toBeCloseTo(33.378, 10);
  });

  it('takes custom buckets, ignoring a trailing Infinity', () => {
    const { registry, family } = setup();
    const sizes = registry.histogram({
      name: 'payload_bytes',
      help: 'Sizes.',
      unit: 'bytes',
      buckets: [100, 1000, Number.POSITIVE_INFINITY],
    });
    sizes.observe(50);
    sizes.observe(100);
    sizes.observe(5000);
    sizes.observe(-20);
    const f = family('payload_bytes');
    expect(f.buckets).toEqual([100, 1000]);
    expect(f.series[0]?.counts).toEqual([3, 3, 4]);
    expect(f.series[0]?.sum).toBe(5130);
  });

  it('observes through bound handles, the same one for the same labels', () => {
    const { registry, family } = setup();
    const latency = registry.histogram({
      name: 'job_seconds',
      help: 'J.',
      labelNames: ['queue'],
      buckets: [1, 2],
    });
    const handle = latency.labels({ queue: 'mail' });
    expect(latency.labels({ queue: 'mail' })).toBe(handle);
    handle.observe(0.5);
    handle.observe(1.5);
    latency.observe({ queue: 'mail' }, 2.5);
    expect(family('job_seconds').series[0]).toMatchObject({ count: 3, sum: 4.5 });
  });

  it('drops non-finite observations, counted, and keeps negative ones', () => {
    const { registry, family } = setup();
    const h = registry.histogram({ name: 'h', help: 'H.', labelNames: ['x'], buckets: [0] });
    h.observe({ x: 'a' }, Number.NaN);
    h.observe({ x: 'a' }, Number.POSITIVE_INFINITY);
    h.labels({ x: 'a' }).observe(Number.NEGATIVE_INFINITY);
    h.observe({ x: 'a' }, -2);
    expect(family('h').dropped.invalidValue).toBe(3);
    expect(family('h').series[0]).toMatchObject({ count: 1, sum: -2 });
  });

  it('keeps the latest exemplar per bucket', () => {
    const { registry, family, tick } = setup();
    const h = registry.histogram({ name: 'rpc_seconds', help: 'R.', buckets: [0.1, 1] });
    h.observe(0.05, { trace_id: 'a' });
    tick(10);
    h.observe(0.07, { trace_id: 'b' });
    h.observe(0.5, { trace_id: 'c' });
    h.observe(0.6);
    expect(family('rpc_seconds').series[0]?.exemplars).toEqual([
      { labels: { trace_id: 'b' }, value: 0.07, timestamp: 10 },
      { labels: { trace_id: 'c' }, value: 0.5, timestamp: 10 },
      undefined,
    ]);
  });

  it('records the series creation time', () => {
    const { registry, family, tick } = setup();
    tick(77);
    registry.histogram({ name: 'x_seconds', help: 'X.', labelNames: ['k'] }).observe({ k: 'v' }, 1);
    expect(family('x_seconds').series[0]?.created).toBe(77);
  });
});

describe('bucket helpers', () => {
  it('builds linear and exponential bounds', () => {
    expect(linearBuckets(1, 2, 4)).toEqual([1, 3, 5, 7]);
    expect(exponentialBuckets(1, 10, 4)).toEqual([1, 10, 100, 1000]);
  });
});
