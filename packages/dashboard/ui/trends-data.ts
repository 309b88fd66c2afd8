/**
 * What the Trends page reads, all under `tasker.analytics:index`: the dashboard's history of the
 * native metrics (`/analytics/history`, when a `registry` was given), and the API's analytics,
 * computed in SQL (`/analytics/performance`, `/analytics/bottlenecks`).
 */
import type { HistoryWire, NoHistoryWire, TrendRange } from '../src/trends/history-wire-types';
import { getJson } from './api-client';

export type { TrendRange };

/** The ranges the page offers, in order, with their labels. */
export const RANGES: readonly {
  readonly range: TrendRange;
  readonly label: string;
  readonly long: string;
}[] = [
  { range: '15m', label: '15 min', long: 'the last 15 minutes' },
  { range: '1h', label: '1 h', long: 'the last hour' },
  { range: '24h', label: '24 h', long: 'the last 24 hours' },
];

/** The range in the page's fragment (`#trends?range=1h`); 15 minutes when absent or unknown. */
export function rangeOf(query: URLSearchParams): TrendRange {
  const r = query.get('range');
  return RANGES.some((x) => x.range === r) ? (r as TrendRange) : '15m';
}

/** `GET /analytics/history` with a registry: the server's wire type, shared (types only). */
export type History = HistoryWire;

export interface PerformanceWindow {
  readonly window: '1h' | '4h' | '24h';
  readonly tasks: {
    readonly created: number;
    readonly completed: number;
    readonly failed: number;
    readonly cancelled: number;
    readonly completion_rate: number | null;
  };
  readonly throughput_per_hour: number;
  readonly task_duration_ms: {
    readonly avg: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
    readonly max: number | null;
  };
  readonly steps: {
    readonly completed: number;
    readonly failed: number;
    readonly retried: number;
    readonly avg_duration_ms: number | null;
  };
}

export interface SlowStep {
  readonly namespace: string;
  readonly task_name: string;
  readonly version: string;
  readonly step_name: string;
  readonly executions: number;
  readonly avg_duration_ms: number;
  readonly p95_duration_ms: number;
  readonly max_duration_ms: number;
  readonly avg_attempts: number;
  readonly error_count: number;
}

export interface Trends {
  readonly range: TrendRange;
  readonly history: History | NoHistoryWire;
  /** The analytics window that covers the range: 1 h for 15 min and 1 h, else 24 h. */
  readonly performance: PerformanceWindow | undefined;
  readonly slowest: readonly SlowStep[];
}

/** Reads the history, the performance and the bottlenecks for `range`, at once. */
export async function loadTrends(range: TrendRange): Promise<Trends> {
  const hours = range === '24h' ? 24 : 1;
  const [history, performance, bottlenecks] = await Promise.all([
    getJson<Trends['history']>(`/analytics/history?range=${range}`),
    getJson<{ windows: readonly PerformanceWindow[] }>('/analytics/performance'),
    getJson<{ slowest_steps: readonly SlowStep[] }>(`/analytics/bottlenecks?period_hours=${hours}&limit=10`),
  ]);
  return {
    range,
    history,
    performance: performance.windows.find((w) => w.window === (hours === 24 ? '24h' : '1h')),
    slowest: bottlenecks.slowest_steps,
  };
}
