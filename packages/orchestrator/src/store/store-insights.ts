/**
 * Aggregate reads for health checks and analytics (`TaskStore.insights`). Read-only, each one
 * statement, all arithmetic in SQL; results are camelCase records with epoch-ms times.
 */
import { MIGRATIONS } from './migrations';
import { num } from './records';
import {
  appliedMigrations,
  errorPatterns,
  healthFigures,
  performanceWindows,
  ping,
  pinIndexScans,
  runningByConcurrencyKey,
  slowestSteps,
  slowestTasks,
} from './sql/insights';
import { assertStorableText } from './storable';
import type { StoreContext } from './store-context';

/** The figures behind `/health/status`, over one window (see `healthFigures` in sql/insights.ts). */
export interface HealthFigures {
  /** Tasks created in the window, by their state now. */
  readonly tasks: Readonly<Record<string, number>>;
  /** Step attempts that ended in the window. */
  readonly attempts: {
    readonly ended: number;
    /** Ended in `error` or `waiting_for_retry`. */
    readonly failed: number;
    /** Ended in `error`: failed for good. */
    readonly errored: number;
  };
  /** Retries in the window (automatic, or by hand from `error`), and the steps retried. */
  readonly retries: { readonly total: number; readonly steps: number };
  /** The earliest time a step now waiting to be claimed became claimable (epoch ms), if any. */
  readonly oldestReadyAt: number | undefined;
  /** Ready steps held back on purpose, by reason (see `WaitingReason`). */
  readonly held: { readonly scheduled: number; readonly concurrency: number; readonly rateLimited: number };
}

/** Figures of one time window. */
export interface PerformanceWindow {
  readonly label: string;
  readonly spanMs: number;
  readonly since: number;
  readonly tasks: { created: number; completed: number; failed: number; cancelled: number };
  readonly taskDurationMs: { avg: number | null; p50: number | null; p95: number | null; max: number | null };
  readonly steps: { completed: number; failed: number; retried: number; avgDurationMs: number | null };
}

/** Filters of {@link StoreInsights.bottlenecks}. */
export interface BottleneckFilter {
  readonly namespace?: string;
  readonly name?: string;
  readonly version?: string;
  /** Only what happened at or after this time (epoch ms). */
  readonly since: number;
  readonly limit: number;
}

/** What {@link StoreInsights.bottlenecks} finds. */
export interface Bottlenecks {
  readonly slowestTasks: {
    taskId: string;
    namespace: string;
    name: string;
    version: string;
    state: string;
    durationMs: number;
    stepCount: number;
  }[];
  readonly slowestSteps: {
    namespace: string;
    taskName: string;
    version: string;
    stepName: string;
    executions: number;
    avgDurationMs: number;
    p95DurationMs: number;
    maxDurationMs: number;
    avgAttempts: number;
    errorCount: number;
  }[];
  readonly errorPatterns: {
    namespace: string;
    taskName: string;
    stepName: string;
    errorName: string;
    errorCode: string | null;
    occurrences: number;
    affectedTasks: number;
    lastSeenAt: number;
    sampleMessage: string;
  }[];
}

const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Aggregate reads over a store's tables. Get one from `TaskStore.insights`. */
export class StoreInsights {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** One round trip; rejects when the database does not answer. */
  async ping(): Promise<void> {
    await this.#ctx.driver.query(ping.text);
  }

  /** Migrations this code knows and has not found applied (empty when up to date). */
  async pendingMigrations(): Promise<number[]> {
    const r = await this.#ctx.driver.query<{ ids: unknown[] }>(appliedMigrations.text);
    const applied = new Set((r.rows[0]?.ids ?? []).map(Number));
    return MIGRATIONS.filter((m) => !applied.has(m.id)).map((m) => m.id);
  }

  /**
   * The health figures of the window from `since` to `now` (epoch ms). One statement, planned
   * with full-table scans off (its transaction's setting), so it reads index ranges only,
   * however large the tables.
   */
  async healthFigures(now: number, since: number): Promise<HealthFigures> {
    const row = await this.#ctx.transaction(async (run) => {
      await run(pinIndexScans);
      return (await run(healthFigures, [now, since])).rows[0] ?? {};
    });
    return {
      tasks: (row.tasks as Record<string, number> | null) ?? {},
      attempts: { ended: num(row.ended ?? 0), failed: num(row.failed ?? 0), errored: num(row.errored ?? 0) },
      retries: { total: num(row.retries ?? 0), steps: num(row.retried_steps ?? 0) },
      oldestReadyAt: optNum(row.oldest_ready_at) ?? undefined,
      held: {
        scheduled: num(row.held_scheduled ?? 0),
        concurrency: num(row.held_concurrency ?? 0),
        rateLimited: num(row.held_rate ?? 0),
      },
    };
  }

  /** The steps in progress of each of `keys` (concurrency keys); a key with none is absent. */
  async runningByConcurrencyKey(keys: readonly string[]): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const r = await this.#ctx.query(runningByConcurrencyKey, [[...new Set(keys)]]);
    return new Map(r.rows.map((row) => [String(row.key), num(row.n)]));
  }

  /** Figures for each window (`label` → length in ms) ending at `now`. */
  async performance(
    now: number,
    windows: readonly { label: string; spanMs: number }[],
  ): Promise<PerformanceWindow[]> {
    const r = await this.#ctx.query(performanceWindows, [
      now,
      windows.map((w) => w.label),
      windows.map((w) => w.spanMs),
    ]);
    return r.rows.map((row) => ({
      label: String(row.label),
      spanMs: num(row.span),
      since: num(row.since),
      tasks: {
        created: num(row.created),
        completed: num(row.completed),
        failed: num(row.failed),
        cancelled: num(row.cancelled),
      },
      taskDurationMs: {
        avg: optNum(row.avg_ms),
        p50: optNum(row.p50_ms),
        p95: optNum(row.p95_ms),
        max: optNum(row.max_ms),
      },
      steps: {
        completed: num(row.steps_completed),
        failed: num(row.steps_failed),
        retried: num(row.steps_retried),
        avgDurationMs: optNum(row.steps_avg_ms),
      },
    }));
  }

  /** The slowest tasks and steps and the most frequent errors since `filter.since`. */
  async bottlenecks(filter: BottleneckFilter, now: number): Promise<Bottlenecks> {
    assertStorableText('namespace', filter.namespace);
    assertStorableText('name', filter.name);
    assertStorableText('version', filter.version);
    const params = [
      filter.since,
      filter.namespace ?? null,
      filter.name ?? null,
      filter.version ?? null,
      filter.limit,
    ];
    const tasks = await this.#ctx.query(slowestTasks, [...params, now]);
    const steps = await this.#ctx.query(slowestSteps, params);
    const errors = await this.#ctx.query(errorPatterns, params);
    return {
      slowestTasks: tasks.rows.map((r) => ({
        taskId: String(r.id),
        namespace: String(r.namespace),
        name: String(r.name),
        version: String(r.version),
        state: String(r.state),
        durationMs: num(r.duration_ms),
        stepCount: num(r.step_count),
      })),
      slowestSteps: steps.rows.map((r) => ({
        namespace: String(r.namespace),
        taskName: String(r.task_name),
        version: String(r.version),
        stepName: String(r.step_name),
        executions: num(r.executions),
        avgDurationMs: num(r.avg_ms),
        p95DurationMs: num(r.p95_ms),
        maxDurationMs: num(r.max_ms),
        avgAttempts: num(r.avg_attempts),
        errorCount: num(r.error_count),
      })),
      errorPatterns: errors.rows.map((r) => ({
        namespace: String(r.namespace),
        taskName: String(r.task_name),
        stepName: String(r.step_name),
        errorName: String(r.error_name),
        errorCode: r.error_code === null || r.error_code === undefined ? null : String(r.error_code),
        occurrences: num(r.occurrences),
        affectedTasks: num(r.affected_tasks),
        lastSeenAt: num(r.last_seen_at),
        sampleMessage: String(r.sample_message ?? ''),
      })),
    };
  }
}
