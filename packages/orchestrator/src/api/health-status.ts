/**
 * What the health endpoints decide (issue #13): whether this process's workers are alive, and
 * `/health/status`'s verdict with its reasons, computed from bounded queries and cached.
 *
 * Unhealthy (503) when any of these holds, each named in `reasons`:
 * - the database did not answer within the readiness timeout;
 * - more than `maxErrorRate` of the step attempts that ended in the window failed, once at
 *   least `minAttempts` ended (fewer say nothing about a rate);
 * - no engine process of the worker registry is live (no step can run anywhere);
 * - this process runs workers and they are stopped, or their claim loop is stale;
 * - `maxQueueLagMs` is set and a step has waited longer than it to be claimed.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { z } from 'zod';
import type { Tasker, TaskerStats } from '../engine/tasker-types';
import { isLiveWorker } from '../engine/waiting-reason';
import { TASK_STATES } from '../states/task-states';
import type { HealthFigures } from '../store/store-insights';
import type { WorkerRecord } from '../store/task-store';
import type { liveSchema, statusSchema } from './schemas/health';
import { iso } from './wire/time';

/** The `health` group of the engine's configuration. */
export interface HealthSettings {
  readonly staleAfterMs: number;
  readonly statusCacheMs: number;
  readonly windowMs: number;
  readonly maxErrorRate: number;
  readonly minAttempts: number;
  readonly maxQueueLagMs?: number | undefined;
}

/** A failed check's message, or undefined when it passed. */
export type Verdict = string | undefined;

/**
 * This process's workers: undefined when it runs none (never started), otherwise a failure
 * when they are stopped or their claim loop has not begun a turn for `staleAfterMs`.
 */
export function workerVerdict(stats: TaskerStats, staleAfterMs: number, wallNow: number): Verdict | null {
  if (stats.state === 'idle') return null;
  if (stats.state !== 'running') return `the workers of this process are ${stats.state}`;
  const age = wallNow - (stats.loopAt ?? wallNow);
  return age > staleAfterMs
    ? `the claim loop of this process has not turned for ${age} ms (stale after ${staleAfterMs} ms)`
    : undefined;
}

/** Rejects with a timeout message when `work` takes longer than `ms`. */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HealthTimeout(ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

class HealthTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** A safe message for a failed database call (ours, or the driver's error code). */
export function databaseFailure(error: unknown): string {
  if (error instanceof HealthTimeout) return `the database did not answer: ${error.message}`;
  const code = (error as { code?: unknown }).code;
  return `the database did not answer${typeof code === 'string' ? ` (${code})` : ''}`;
}

type StatusBody = z.infer<typeof statusSchema>;

/** `/health/status`'s answer: the body and whether it is healthy (200) or not (503). */
export interface StatusAnswer {
  readonly body: StatusBody;
  readonly healthy: boolean;
}

/** Computes `/health/status`'s answer now. */
export async function computeStatus(
  tasker: Tasker,
  settings: HealthSettings,
  now: number,
  timeoutMs: number,
): Promise<StatusAnswer> {
  const reasons: string[] = [];
  const since = now - settings.windowMs;
  let figures: HealthFigures | undefined;
  let workers: readonly WorkerRecord[] = [];
  try {
    const store = await within(tasker.store(), timeoutMs);
    figures = await within(store.insights.healthFigures(now, since), timeoutMs);
    workers = await within(tasker.workers(), timeoutMs);
  } catch (error) {
    reasons.push(databaseFailure(error));
  }
  const attempts = figures?.attempts ?? { ended: 0, failed: 0, errored: 0 };
  const errorRate = attempts.ended === 0 ? 0 : attempts.failed / attempts.ended;
  if (attempts.ended >= settings.minAttempts && errorRate > settings.maxErrorRate) {
    reasons.push(
      `${attempts.failed} of ${attempts.ended} step attempts failed in the last ${settings.windowMs} ms ` +
        `(${(errorRate * 100).toFixed(1)} % > ${settings.maxErrorRate * 100} %)`,
    );
  }
  const live = workers.filter((w) => isLiveWorker(w, now));
  if (figures !== undefined && live.length === 0)
    reasons.push('no live worker in the registry: no step can run');
  const stats = tasker.stats();
  const own = workerVerdict(stats, settings.staleAfterMs, Date.now());
  if (typeof own === 'string') reasons.push(own);
  const oldest = figures?.oldestReadyAt;
  const lagMs = oldest === undefined ? 0 : Math.max(0, now - oldest);
  if (settings.maxQueueLagMs !== undefined && lagMs > settings.maxQueueLagMs)
    reasons.push(`a step has waited ${lagMs} ms to be claimed (more than ${settings.maxQueueLagMs} ms)`);

  const pool = figures === undefined ? undefined : (await tasker.store()).poolStats();
  const tasks = Object.fromEntries(TASK_STATES.map((s) => [s, figures?.tasks[s] ?? 0])) as Record<
    (typeof TASK_STATES)[number],
    number
  >;
  const body: StatusBody = {
    status: reasons.length === 0 ? 'healthy' : 'unhealthy',
    reasons,
    checked_at: iso(now),
    window: { ms: settings.windowMs, since: iso(since) },
    tasks: { created: Object.values(tasks).reduce((a, b) => a + b, 0), ...tasks },
    attempts: { ended: attempts.ended, failed: attempts.failed, errored: attempts.errored },
    retries: { total: figures?.retries.total ?? 0, steps: figures?.retries.steps ?? 0 },
    error_rate: errorRate,
    queue: {
      oldest_ready_at: oldest === undefined ? null : iso(oldest),
      lag_ms: lagMs,
      held: {
        scheduled: figures?.held.scheduled ?? 0,
        concurrency: figures?.held.concurrency ?? 0,
        rate_limited: figures?.held.rateLimited ?? 0,
      },
    },
    database: {
      answered: figures !== undefined,
      pool:
        pool === undefined
          ? null
          : { max: pool.max, open: pool.total, idle: pool.idle, waiting: pool.waiting },
    },
    thresholds: {
      max_error_rate: settings.maxErrorRate,
      min_attempts: settings.minAttempts,
      max_queue_lag_ms: settings.maxQueueLagMs ?? null,
      stale_after_ms: settings.staleAfterMs,
      cache_ms: settings.statusCacheMs,
    },
    worker: {
      id: tasker.workerId,
      state: stats.state,
      in_flight: stats.inFlight,
      completed: stats.completed,
      loop_age_ms: stats.loopAt === undefined ? null : Math.max(0, Date.now() - stats.loopAt),
    },
    live_workers: live.length,
    workers: workers.map((w) => ({
      worker_id: w.workerId,
      hostname: w.hostname,
      pid: w.pid,
      started_at: iso(w.startedAt),
      heartbeat_at: iso(w.heartbeatAt),
      live: isLiveWorker(w, now),
      claims: w.claimKeys
        .filter((k) => k !== '')
        .map((k) => ({ queue: k.slice(0, k.indexOf(' ')), task: k.slice(k.indexOf(' ') + 1) })),
      concurrency: w.concurrency,
      in_flight: w.inFlight,
    })),
  };
  return { body, healthy: reasons.length === 0 };
}

/**
 * Holds `/health/status`'s answer for `cacheMs`: callers within that time get the same answer
 * (and concurrent callers share one computation), so probes cost the database one computation
 * per period however often they ask.
 */
export class StatusCache {
  #answer: { at: number; value: Promise<StatusAnswer> } | undefined;

  constructor(
    private readonly cacheMs: number,
    private readonly compute: () => Promise<StatusAnswer>,
  ) {}

  get(): Promise<StatusAnswer> {
    const at = performance.now();
    const held = this.#answer;
    if (held !== undefined && at - held.at < this.cacheMs) return held.value;
    const value = this.compute();
    const entry = { at, value };
    this.#answer = entry;
    // A computation that throws is not kept.
    value.catch(() => {
      if (this.#answer === entry) this.#answer = undefined;
    });
    return value;
  }
}

type LiveBody = z.infer<typeof liveSchema>;

let shared: LoopDelay | undefined;

/** The process's event-loop delay monitor, made by the first API that asks. */
export function loopDelay(): LoopDelay {
  shared ??= new LoopDelay();
  return shared;
}

/**
 * The event loop's delay, sampled every 20 ms by `perf_hooks`, over rolling 10 s windows:
 * `/health/live` reports the last full window (or the current one before the first ends).
 */
class LoopDelay {
  readonly #histogram = monitorEventLoopDelay({ resolution: 20 });
  #last: LiveBody['event_loop_delay_ms'] | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(windowMs = 10_000) {
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      this.#last = this.#read();
      this.#histogram.reset();
    }, windowMs);
    this.#timer.unref();
  }

  current(): LiveBody['event_loop_delay_ms'] {
    return this.#last ?? this.#read();
  }

  #read(): LiveBody['event_loop_delay_ms'] {
    const h = this.#histogram;
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
    return { mean: ms(h.mean), p99: ms(h.percentile(99)), max: ms(h.max) };
  }
}
