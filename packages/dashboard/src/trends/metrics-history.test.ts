/**
 * The trends' history against a real metrics-native registry, on an injected clock (no sleeps):
 * sampling, rates from counters, percentiles from histogram buckets, roll-up into the coarser
 * tiers, wrap-around and gaps, bounded memory, and a timer that stops.
 */
import { createRegistry, type Registry } from '@tasker/metrics-native';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bucketPercentile } from './bucket-percentile';
import { historyToWire } from './history-wire';
import { MetricsHistory, TREND_RANGES, type TrendRange } from './metrics-history';
import { TREND_METRICS } from './snapshot-deltas';

const STEP = { namespace: 'shop', name: 'checkout', version: '1.0.0', step: 'charge' };
const BUCKETS = [0.01, 0.1, 1];

function setup(start = 1_000_000_000_000) {
  const clock = { t: start };
  const registry = createRegistry({ now: () => clock.t });
  const labels = ['namespace', 'name', 'version', 'step', 'outcome'] as const;
  const steps = registry.counter({ name: TREND_METRICS.steps, help: 'steps', labelNames: labels });
  const tasks = registry.counter({
    name: TREND_METRICS.tasks,
    help: 'tasks',
    labelNames: ['namespace', 'name', 'version', 'outcome'],
  });
  const retries = registry.counter({
    name: TREND_METRICS.retries,
    help: 'retries',
    labelNames: ['namespace', 'name', 'version', 'step'],
  });
  const inProgress = registry.gauge({
    name: TREND_METRICS.inProgress,
    help: 'in progress',
    labelNames: ['namespace', 'name', 'version', 'step'],
  });
  const durations = registry.histogram({
    name: TREND_METRICS.stepDuration,
    help: 'durations',
    labelNames: labels,
    buckets: BUCKETS,
  });
  const history = new MetricsHistory({ registry, now: () => clock.t });
  const wire = (range: TrendRange = '15m') =>
    historyToWire(history.read(TREND_RANGES[range]), range, TREND_RANGES[range]);
  return { clock, registry, steps, tasks, retries, inProgress, durations, history, wire };
}

/** The non-null entries of a column. */
const filled = (column: readonly (number | null)[]) => column.filter((v): v is number => v !== null);

describe('the trends history', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('charts increments from the first sample on, as rates per second of time covered', () => {
    const h = setup();
    h.steps.inc({ ...STEP, outcome: 'completed' }, 100); // before the history: not charted
    h.history.sample();
    h.clock.t += 5_000;
    h.steps.inc({ ...STEP, outcome: 'completed' }, 40);
    h.steps.inc({ ...STEP, outcome: 'failed' }, 10);
    h.tasks.inc({ namespace: 'shop', name: 'checkout', version: '1.0.0', outcome: 'completed' }, 5);
    h.retries.inc(STEP, 3);
    h.inProgress.set(STEP, 7);
    h.history.sample();
    const w = h.wire();
    expect(w.points.time).toHaveLength(180);
    // The first sample's point covers no time yet: no rate, but the gauge's level.
    expect(filled(w.points.steps_per_s)).toEqual([8]);
    expect(filled(w.points.tasks_per_s)).toEqual([1]);
    expect(filled(w.points.retries_per_s)).toEqual([0.6]);
    expect(filled(w.points.step_error_rate)).toEqual([0.2]);
    expect(filled(w.points.steps_in_progress)).toEqual([0, 7]);
    expect(w.totals).toMatchObject({ steps_completed: 40, steps_failed: 10, tasks_completed: 5, retries: 3 });
    expect(w.metrics.missing).toEqual([]);
  });

  it('counts a series made after the last sample from zero, and one removed as nothing', () => {
    const h = setup();
    h.steps.inc({ ...STEP, outcome: 'completed' }, 10);
    h.history.sample();
    h.clock.t += 5_000;
    h.steps.remove({ ...STEP, outcome: 'completed' });
    h.steps.inc({ ...STEP, step: 'ship', outcome: 'completed' }, 4);
    h.history.sample();
    expect(h.wire().totals.steps_completed).toBe(4);
  });

  it('takes percentiles from the histogram buckets, per point and over the range', () => {
    const h = setup();
    h.history.sample();
    h.clock.t += 5_000;
    // 50 under 10 ms, 40 in (10 ms, 100 ms], 10 in (100 ms, 1 s]: summed over two series.
    for (let i = 0; i < 50; i++) h.durations.observe({ ...STEP, outcome: 'completed' }, 0.005);
    for (let i = 0; i < 40; i++) h.durations.observe({ ...STEP, step: 'ship', outcome: 'completed' }, 0.05);
    for (let i = 0; i < 10; i++) h.durations.observe({ ...STEP, outcome: 'failed' }, 0.5);
    h.history.sample();
    const w = h.wire();
    expect(w.duration_buckets_seconds).toEqual(BUCKETS);
    // p50: rank 50 is the top of the first bucket; p95: rank 95 is half-way into (0.1, 1].
    expect(filled(w.points.step_p50_ms)).toEqual([10]);
    expect(filled(w.points.step_p95_ms)[0]).toBeCloseTo(550, 6);
    expect(w.totals.step_p99_ms).toBeCloseTo(910, 6);
  });

  it('estimates a percentile inside its bucket, and the highest bound for +Inf', () => {
    expect(bucketPercentile(0.5, [1, 2], [0, 4, 4])).toBe(1.5);
    expect(bucketPercentile(0.9, [1, 2], [0, 0, 3])).toBe(2);
    expect(bucketPercentile(0.5, [1, 2], [0, 0, 0])).toBeNull();
  });

  it('rolls the 5 s samples up into the 30 s and 5 min tiers', () => {
    const h = setup(1_000_000_200_000); // on a 5 min boundary
    h.history.sample();
    for (let i = 0; i < 12; i++) {
      h.clock.t += 5_000;
      h.steps.inc({ ...STEP, outcome: 'completed' }, 10);
      h.history.sample();
    }
    const hour = h.wire('1h');
    expect(hour.resolution_ms).toBe(30_000);
    expect(hour.points.time).toHaveLength(120);
    // 60 s of 5 s samples, 2 steps/s: 50 steps over 25 s (after the first sample), 60 over
    // 30 s, then 10 over 5 s.
    expect(hour.totals.steps_completed).toBe(120);
    expect(filled(hour.points.steps_per_s)).toEqual([2, 2, 2]);
    const day = h.wire('24h');
    expect(day.resolution_ms).toBe(300_000);
    expect(day.points.time).toHaveLength(288);
    expect(day.totals.steps_completed).toBe(120);
  });

  it('wraps around: old points leave the ring, a pause leaves a gap, memory stays the same', () => {
    const h = setup(1_000_000_200_000);
    h.history.sample();
    const bytes = h.history.bytes;
    // The rings: (180 + 120 + 288) points × (8 fields + 4 buckets) × 8 bytes, allocated once.
    expect(bytes).toBe((180 + 120 + 288) * 12 * 8);
    for (let i = 0; i < 400; i++) {
      h.clock.t += 5_000;
      h.steps.inc({ ...STEP, step: `s${i % 50}`, outcome: 'completed' }, 1);
      h.history.sample();
    }
    const w = h.wire();
    expect(filled(w.points.steps_per_s)).toHaveLength(180);
    expect(w.totals.steps_completed).toBe(180);
    expect(w.points.time[179]).toBe(h.clock.t);
    expect(h.history.bytes).toBe(bytes);
    // Ten minutes without a sample: those intervals are gaps, not the values of a lap before.
    h.clock.t += 10 * 60_000;
    h.steps.inc({ ...STEP, outcome: 'completed' }, 6);
    h.history.sample();
    const after = h.wire();
    expect(filled(after.points.steps_per_s)).toHaveLength(180 - 120 + 1);
    expect(after.points.steps_per_s.slice(60, 179)).toEqual(new Array(119).fill(null));
    // The 6 steps span the 10 min pause: 0.01 per second.
    expect(after.points.steps_per_s[179]).toBeCloseTo(6 / 600, 9);
  });

  it('writes nothing when the clock goes back, and counts a collect that throws', () => {
    const h = setup();
    h.history.sample();
    h.clock.t -= 60_000;
    h.steps.inc({ ...STEP, outcome: 'completed' }, 1);
    expect(h.history.sample()).toBe(false);
    let fail = true;
    const failing = new MetricsHistory({
      registry: {
        collect: () => {
          if (fail) throw new Error('collect failed');
          return h.registry.collect();
        },
      },
      now: () => h.clock.t,
    });
    expect(failing.sample()).toBe(false);
    fail = false;
    expect(failing.sample()).toBe(true);
    expect(historyToWire(failing.read(TREND_RANGES['15m']), '15m', TREND_RANGES['15m']).sample_errors).toBe(
      1,
    );
  });

  it('samples on its timer until stopped', () => {
    vi.useFakeTimers();
    const registry: Registry = createRegistry();
    let collects = 0;
    const history = new MetricsHistory({
      registry: {
        collect: () => {
          collects++;
          return registry.collect();
        },
      },
      now: Date.now,
    });
    history.start();
    expect(collects).toBe(1);
    vi.advanceTimersByTime(15_000);
    expect(collects).toBe(4);
    history.stop();
    vi.advanceTimersByTime(60_000);
    expect(collects).toBe(4);
  });
});
