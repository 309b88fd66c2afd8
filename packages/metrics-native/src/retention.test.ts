import { describe, expect, it } from 'vitest';
import { isMetricsError } from './errors';
import type { HistogramHistory, ValueHistory } from './history';
import { createRegistry } from './registry';
import { DEFAULT_RETENTION } from './retention-policy';
import { RetentionRings } from './retention-rings';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function setup() {
  let time = 0;
  const registry = createRegistry({ now: () => time, warn: () => {} });
  return {
    registry,
    at: (ms: number) => {
      time = ms;
    },
  };
}

describe('retention', () => {
  it('keeps per-minute values for the last hour and per-hour values for the last day by default', () => {
    expect(DEFAULT_RETENTION).toEqual([
      { resolutionMs: MINUTE, points: 60 },
      { resolutionMs: HOUR, points: 24 },
    ]);
    const { registry, at } = setup();
    const jobs = registry.counter({
      name: 'jobs_total',
      help: 'Jobs.',
      labelNames: ['queue'],
      retention: true,
    });
    // One collect per minute for three hours, one job per minute.
    for (let minute = 0; minute < 180; minute++) {
      at(minute * MINUTE + 1_000);
      jobs.inc({ queue: 'mail' });
      registry.collect();
    }
    const hour = registry.history('jobs_total', { window: HOUR }) as ValueHistory;
    expect(hour.resolutionMs).toBe(MINUTE);
    const points = hour.series[0]?.points ?? [];
    expect(points).toHaveLength(60);
    expect(points[0]).toEqual({ timestamp: 120 * MINUTE, value: 121 });
    expect(points[59]).toEqual({ timestamp: 179 * MINUTE, value: 180 });

    const day = registry.history('jobs_total', { window: 24 * HOUR }) as ValueHistory;
    expect(day.resolutionMs).toBe(HOUR);
    expect(day.series[0]?.points).toEqual([
      { timestamp: 0, value: 60 },
      { timestamp: HOUR, value: 120 },
      { timestamp: 2 * HOUR, value: 180 },
    ]);
  });

  it('serves a short window from the finest tier, with only the points inside it', () => {
    const { registry, at } = setup();
    const g = registry.gauge({ name: 'temp', help: 'T.', retention: true });
    for (let minute = 0; minute < 10; minute++) {
      at(minute * MINUTE);
      g.set(minute * 10);
      registry.collect();
    }
    const history = registry.history('temp', { window: 3 * MINUTE }) as ValueHistory;
    expect(history.series[0]?.points.map((p) => p.value)).toEqual([70, 80, 90]);
  });

  it('keeps the last value sampled in each interval', () => {
    const { registry, at } = setup();
    const g = registry.gauge({ name: 'temp', help: 'T.', retention: [{ resolutionMs: MINUTE, points: 5 }] });
    at(1_000);
    g.set(1);
    registry.collect();
    at(30_000);
    g.set(2);
    registry.collect();
    at(59_999);
    g.set(3);
    registry.sample();
    g.set(4);
    const history = registry.history('temp', { window: 5 * MINUTE }) as ValueHistory;
    // history() samples too: the last value in minute 0 is 4.
    expect(history.series[0]?.points).toEqual([{ timestamp: 0, value: 4 }]);
  });

  it('leaves out intervals in which nothing was sampled', () => {
    const { registry, at } = setup();
    const g = registry.gauge({ name: 'temp', help: 'T.', retention: [{ resolutionMs: MINUTE, points: 10 }] });
    at(0);
    g.set(1);
    registry.collect();
    at(4 * MINUTE);
    g.set(5);
    registry.collect();
    const history = registry.history('temp', { window: 10 * MINUTE }) as ValueHistory;
    expect(history.series[0]?.points).toEqual([
      { timestamp: 0, value: 1 },
      { timestamp: 4 * MINUTE, value: 5 },
    ]);
  });

  it('is a fixed-size ring: old points are overwritten, never accumulated', () => {
    const { registry, at } = setup();
    const c = registry.counter({
      name: 'c_total',
      help: 'C.',
      retention: [{ resolutionMs: 1_000, points: 3 }],
    });
    for (let s = 0; s < 100; s++) {
      at(s * 1_000);
      c.inc();
      registry.collect();
    }
    const history = registry.history('c_total', { window: 1_000_000 }) as ValueHistory;
    expect(history.series[0]?.points).toEqual([
      { timestamp: 97_000, value: 98 },
      { timestamp: 98_000, value: 99 },
      { timestamp: 99_000, value: 100 },
    ]);
  });

  it('clears the whole ring after a gap longer than it', () => {
    const { registry, at } = setup();
    const g = registry.gauge({ name: 'g', help: 'G.', retention: [{ resolutionMs: 1_000, points: 3 }] });
    at(0);
    g.set(1);
    registry.collect();
    at(1_000);
    registry.collect();
    at(50_000);
    g.set(2);
    registry.collect();
    expect((registry.history('g', { window: 3_000 }) as ValueHistory).series[0]?.points).toEqual([
      { timestamp: 50_000, value: 2 },
    ]);
  });

  it('ignores samples when the clock goes backwards', () => {
    const { registry, at } = setup();
    const g = registry.gauge({ name: 'g', help: 'G.', retention: [{ resolutionMs: 1_000, points: 10 }] });
    at(5_000);
    g.set(1);
    registry.collect();
    at(2_000);
    g.set(99);
    registry.collect();
    at(5_500);
    const history = registry.history('g', { window: 10_000 }) as ValueHistory;
    expect(history.series[0]?.points).toEqual([{ timestamp: 5_000, value: 99 }]);
    at(3_000);
    expect((registry.history('g', { window: 10_000 }) as ValueHistory).series[0]?.points).toEqual([
      { timestamp: 5_000, value: 99 },
    ]);
  });

  it('keeps count and sum for histograms', () => {
    const { registry, at } = setup();
    const h = registry.histogram({
      name: 'latency_seconds',
      help: 'L.',
      labelNames: ['route'],
      buckets: [0.1, 1],
      retention: [{ resolutionMs: MINUTE, points: 60 }],
    });
    at(0);
    h.observe({ route: '/a' }, 0.05);
    h.observe({ route: '/a' }, 2);
    registry.collect();
    at(MINUTE);
    h.observe({ route: '/a' }, 0.5);
    registry.collect();
    const history = registry.history('latency_seconds', { window: HOUR }) as HistogramHistory;
    expect(history.type).toBe('histogram');
    expect(history.series[0]?.points).toEqual([
      { timestamp: 0, count: 2, sum: 2.05 },
      { timestamp: MINUTE, count: 3, sum: 2.55 },
    ]);
  });

  it('filters series by labels', () => {
    const { registry, at } = setup();
    const c = registry.counter({
      name: 'req_total',
      help: 'R.',
      labelNames: ['method', 'status'],
      retention: true,
    });
    at(0);
    c.inc({ method: 'GET', status: '200' });
    c.inc({ method: 'GET', status: '500' });
    c.inc({ method: 'POST', status: '200' }, 7);
    registry.collect();
    const get = registry.history('req_total', { window: HOUR, labels: { method: 'GET' } });
    expect(get.series.map((s) => s.labels)).toEqual([
      { method: 'GET', status: '200' },
      { method: 'GET', status: '500' },
    ]);
    const one = registry.history('req_total', { window: HOUR, labels: { method: 'POST', status: '200' } });
    expect(one.series).toEqual([
      { labels: { method: 'POST', status: '200' }, points: [{ timestamp: 0, value: 7 }] },
    ]);
    expect(registry.history('req_total', { window: HOUR, labels: { method: 'PUT' } }).series).toEqual([]);
  });

  it('starts a new series with an empty history, also in a reused slot', () => {
    const { registry, at } = setup();
    const c = registry.counter({
      name: 'c_total',
      help: 'C.',
      labelNames: ['k'],
      idleTtlMs: 1_000,
      retention: [{ resolutionMs: 1_000, points: 100 }],
    });
    at(0);
    c.inc({ k: 'old' }, 5);
    registry.collect();
    at(10_000);
    registry.collect();
    at(11_000);
    c.inc({ k: 'new' });
    registry.collect();
    const history = registry.history('c_total', { window: 100_000 }) as ValueHistory;
    expect(history.series).toEqual([{ labels: { k: 'new' }, points: [{ timestamp: 11_000, value: 1 }] }]);
  });

  it('throws for unknown metrics, metrics without retention and bad queries', () => {
    const { registry } = setup();
    registry.gauge({ name: 'plain', help: 'P.' });
    registry.gauge({ name: 'kept', help: 'K.', labelNames: ['k'], retention: true });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isMetricsError(error) ? `${error.code}: ${error.message}` : 'other';
      }
      return 'none';
    };
    expect(code(() => registry.history('nope', { window: 1 }))).toBe(
      'METRIC_NOT_FOUND: No metric named "nope" in this registry',
    );
    expect(code(() => registry.history('plain', { window: 1 }))).toBe(
      'HISTORY_QUERY_INVALID: gauge "plain" keeps no history: make it with retention: true (or a list of tiers)',
    );
    expect(code(() => registry.history('kept', { window: 0 }))).toContain(
      'window: expected a positive number of milliseconds, received 0',
    );
    expect(code(() => registry.history('kept', { window: 1, labels: { x: 'a' } }))).toContain(
      'labels.x: not a label of this metric (its labels: k)',
    );
    expect(code(() => registry.history('kept', { window: 1, labels: { k: 1 as never } }))).toContain(
      'labels.k: expected a string, received 1',
    );
    expect(code(() => registry.history('kept', { window: 1, since: 5 } as never))).toContain(
      'since: unknown field',
    );
  });
});

describe('RetentionRings memory', () => {
  it('is known in advance and bounded by the series limit', () => {
    const { registry } = setup();
    const c = registry.counter({
      name: 'c_total',
      help: 'C.',
      labelNames: ['k'],
      seriesLimit: 10,
      retention: true,
    });
    for (let i = 0; i < 1_000; i++) c.inc({ k: `v${i}` });
    const max = RetentionRings.maxBytes(DEFAULT_RETENTION, 1, 11);
    expect(max).toBe(11 * 84 * 8);
    const rings = new RetentionRings(DEFAULT_RETENTION, 1, 8);
    rings.resize(11);
    rings.resize(4);
    expect(rings.data.byteLength).toBe(max);
    expect(registry.collect().families[0]?.series).toHaveLength(11);
  });
});
