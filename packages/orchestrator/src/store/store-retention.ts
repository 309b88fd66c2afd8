/**
 * The retention sweep's statements (`TaskStore.retention`): one batch of a rule at a time, in
 * its own transaction, under the sweep's advisory lock and a statement timeout. The policy and
 * the loop over batches live in `../engine/retention.ts`.
 */
import { num } from './records';
import {
  countDoomed,
  countExpiredKeys,
  deleteExpiredKeys,
  recentRetentionRuns,
  recordRetentionRun,
  retentionStatementTimeout,
  sweepBatch,
  tryRetentionLock,
} from './sql/retention';
import type { StoreContext } from './store-context';

/** The advisory lock of the retention sweep (`retain` in ASCII): one sweeper at a time. */
export const RETENTION_LOCK = 0x72657461696e;

/** Finished tasks of one state (and one namespace, or all but some) kept for `keepMs`. */
export interface RetentionRule {
  readonly state: 'complete' | 'error' | 'cancelled' | 'resolved_manually';
  /** The rule's namespace, or null for every namespace not in `excluded`. */
  readonly namespace: string | null;
  /** Namespaces with a rule of their own for this state (only for `namespace: null`). */
  readonly excluded: readonly string[];
  readonly keepMs: number;
}

/** What a batch or a dry run removed (or would remove). */
export interface SweptCounts {
  readonly tasks: number;
  readonly transitions: number;
  readonly archived: number;
}

/** The figures of one run of the sweep (see `RetentionRunResult` in ../engine/retention.ts). */
export interface RetentionRunFigures {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly dryRun: boolean;
  readonly tasks: number;
  readonly transitions: number;
  readonly archived: number;
  readonly identityKeys: number;
  readonly batches: number;
  /** False when the run stopped before the policy was met (its time budget, a stop, an error). */
  readonly complete: boolean;
  readonly error?: string | undefined;
}

/** A recorded run of the sweep. */
export interface RetentionRunRecord extends RetentionRunFigures {
  readonly id: number;
  readonly workerId: string;
  readonly byRule: readonly Record<string, unknown>[];
}

const params = (rule: RetentionRule, now: number) => [
  rule.state,
  now - rule.keepMs,
  rule.namespace,
  [...rule.excluded],
];

/** Retention statements over a store's tables. Get one from `TaskStore.retention`. */
export class StoreRetention {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /**
   * Removes up to `limit` tasks of `rule` (with their steps and audit; the audit copied to the
   * archive first when `archive`), in one transaction bounded by `timeoutMs`. Undefined when
   * another sweep holds the lock.
   */
  async sweepBatch(
    rule: RetentionRule,
    now: number,
    limit: number,
    archive: boolean,
    timeoutMs: number,
  ): Promise<SweptCounts | undefined> {
    return this.#ctx.transaction(async (run) => {
      if ((await run(tryRetentionLock, [RETENTION_LOCK])).rows[0]?.locked !== true) return undefined;
      await run(retentionStatementTimeout, [String(timeoutMs)]);
      const row = (await run(sweepBatch, [...params(rule, now), limit, archive, now])).rows[0] ?? {};
      return {
        tasks: num(row.tasks ?? 0),
        transitions: num(row.transitions ?? 0),
        archived: num(row.archived ?? 0),
      };
    });
  }

  /** What `rule` would remove now (a dry run). */
  async count(rule: RetentionRule, now: number): Promise<SweptCounts> {
    const row = (await this.#ctx.query(countDoomed, params(rule, now))).rows[0] ?? {};
    return { tasks: num(row.tasks ?? 0), transitions: num(row.transitions ?? 0), archived: 0 };
  }

  /** Removes up to `limit` identity windows that ended by `now`; undefined when another sweep holds the lock. */
  async deleteExpiredKeys(now: number, limit: number, timeoutMs: number): Promise<number | undefined> {
    return this.#ctx.transaction(async (run) => {
      if ((await run(tryRetentionLock, [RETENTION_LOCK])).rows[0]?.locked !== true) return undefined;
      await run(retentionStatementTimeout, [String(timeoutMs)]);
      return (await run(deleteExpiredKeys, [now, limit])).rowCount;
    });
  }

  /** How many identity windows ended by `now` (a dry run). */
  async countExpiredKeys(now: number): Promise<number> {
    return num((await this.#ctx.query(countExpiredKeys, [now])).rows[0]?.n ?? 0);
  }

  /** Records a run (the newest 100 are kept). */
  async record(run: Omit<RetentionRunRecord, 'id'>): Promise<void> {
    await this.#ctx.query(recordRetentionRun, [
      run.startedAt,
      run.finishedAt,
      run.dryRun,
      run.workerId,
      run.tasks,
      run.transitions,
      run.archived,
      run.identityKeys,
      run.batches,
      run.complete,
      JSON.stringify(run.byRule),
      run.error ?? null,
    ]);
  }

  /** The newest `limit` runs, newest first. */
  async recent(limit: number): Promise<RetentionRunRecord[]> {
    const r = await this.#ctx.query(recentRetentionRuns, [limit]);
    return r.rows.map((row) => ({
      id: num(row.id),
      startedAt: num(row.started_at),
      finishedAt: num(row.finished_at),
      dryRun: row.dry_run === true,
      workerId: String(row.worker_id),
      tasks: num(row.tasks),
      transitions: num(row.transitions),
      archived: num(row.archived),
      identityKeys: num(row.identity_keys),
      batches: num(row.batches),
      complete: row.complete === true,
      byRule: (row.by_rule ?? []) as Record<string, unknown>[],
      error: row.error == null ? undefined : String(row.error),
    }));
  }
}
