/**
 * The history as the page reads it (`GET <prefix>/analytics/history?range=`): one column per
 * chart series, aligned on `time` (the start of each point, epoch ms; null where no sample
 * landed), and the totals over the whole range as figures.
 *
 * Rates are per second of time the samples covered, so the point being filled now, or one after
 * a pause, is not understated. The error rate is failed / (completed + failed) step attempts.
 * Percentiles are of the step-duration histogram's increments in the point (its buckets summed
 * over every series), in milliseconds.
 */
import { bucketPercentile } from './bucket-percentile';
import type { HistoryPoints, HistoryWire, TrendRange } from './history-wire-types';
import type { HistoryRead } from './metrics-history';
import { FIELD, TREND_METRICS } from './snapshot-deltas';

export type { HistoryPoints, HistoryTotals, HistoryWire, NoHistoryWire } from './history-wire-types';

const ms = (seconds: number | null) => (seconds === null ? null : seconds * 1000);
const ratio = (failed: number, completed: number) =>
  failed + completed > 0 ? failed / (failed + completed) : null;

export function historyToWire(read: HistoryRead, range: TrendRange, windowMs: number): HistoryWire {
  const { rings, bounds } = read;
  const points: HistoryPoints = {
    time: [],
    tasks_per_s: [],
    steps_per_s: [],
    retries_per_s: [],
    step_error_rate: [],
    step_p50_ms: [],
    step_p95_ms: [],
    step_p99_ms: [],
    steps_in_progress: [],
  };
  const sums = new Float64Array(rings?.width ?? FIELD.buckets + 1);
  rings?.read(read.tier, windowMs, read.now, (timestamp, f) => {
    points.time.push(timestamp);
    const seconds = f === undefined ? 0 : (f[FIELD.covered] as number) / 1000;
    const rate = (field: number) => (f === undefined || seconds <= 0 ? null : (f[field] as number) / seconds);
    points.tasks_per_s.push(rate(FIELD.tasksCompleted));
    points.steps_per_s.push(rate(FIELD.stepsCompleted));
    points.retries_per_s.push(rate(FIELD.retries));
    points.step_error_rate.push(
      f === undefined ? null : ratio(f[FIELD.stepsFailed] as number, f[FIELD.stepsCompleted] as number),
    );
    for (const [q, column] of [
      [0.5, points.step_p50_ms],
      [0.95, points.step_p95_ms],
      [0.99, points.step_p99_ms],
    ] as const) {
      column.push(f === undefined ? null : ms(bucketPercentile(q, bounds, f, FIELD.buckets)));
    }
    points.steps_in_progress.push(f === undefined ? null : (f[FIELD.inProgress] as number));
    if (f !== undefined)
      for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] as number) + (f[i] as number);
  });
  const tier = rings?.tiers[read.tier];
  return {
    registry: true,
    range,
    generated_at: read.now,
    window_ms: windowMs,
    resolution_ms: tier?.resolutionMs ?? read.sampleMs,
    sample_ms: read.sampleMs,
    metrics: {
      found: read.found,
      missing: Object.values(TREND_METRICS).filter((n) => !read.found.includes(n)),
    },
    sample_errors: read.sampleErrors,
    memory_bytes: rings?.bytes ?? 0,
    duration_buckets_seconds: bounds,
    points,
    totals: {
      tasks_completed: sums[FIELD.tasksCompleted] as number,
      tasks_failed: sums[FIELD.tasksFailed] as number,
      steps_completed: sums[FIELD.stepsCompleted] as number,
      steps_failed: sums[FIELD.stepsFailed] as number,
      retries: sums[FIELD.retries] as number,
      step_error_rate: ratio(sums[FIELD.stepsFailed] as number, sums[FIELD.stepsCompleted] as number),
      step_p50_ms: ms(bucketPercentile(0.5, bounds, sums, FIELD.buckets)),
      step_p95_ms: ms(bucketPercentile(0.95, bounds, sums, FIELD.buckets)),
      step_p99_ms: ms(bucketPercentile(0.99, bounds, sums, FIELD.buckets)),
    },
  };
}
