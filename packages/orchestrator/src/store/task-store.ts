/**
 * The task store: every durable operation of the engine, each one transaction or one atomic
 * statement over the SQL of `./sql` (the hot path, creating tasks, claiming and settling
 * steps, is one statement each: one round trip and one commit). It speaks to either driver
 * and returns plain records and `Change`s; it never publishes events (the engine does, after
 * commit).
 */
import { randomUUID } from 'node:crypto';
import type { EventError } from '@tasker/router';
import type { StepState } from '../states/step-states';
import type { TaskState } from '../states/task-states';
import { LEGACY_CLAIM_KEY } from './claim-key';
import { createTaskRecord } from './create-task-record';
import { type CreatedTasks, createTaskRecords } from './create-tasks-batch';
import type { PoolStats, SqlDriver } from './driver';
import {
  cancelStepAndDescendants,
  cancelTask,
  type ManualOptions,
  resolveStepManually,
  retryErroredStep,
} from './manual-operations';
import { migrate } from './migrate';
import { PublishLedger } from './publish-ledger';
import {
  type Change,
  type ClaimedStep,
  type JsonValue,
  num,
  optNum,
  type TaskDetails,
  taskInfoFrom,
} from './records';
import { settleOutcomes } from './settle-outcomes';
import { claimKeysInUse, claimSteps, releaseLeases, renewLeases } from './sql/claim-steps';
import { updateStep } from './sql/manage-steps';
import { databaseNow, notify } from './sql/read-tasks';
import { updateTask } from './sql/task-state';
import { StoppedSteps } from './stopped-steps';
import { assertStorableJson, assertStorableText } from './storable';
import { StoreAudit } from './store-audit';
import {
  DEFAULT_TRANSIENT_RETRY,
  type QueryInfo,
  StoreContext,
  type TransientRetryOptions,
} from './store-context';
import { StoreInsights } from './store-insights';
import { StoreRetention } from './store-retention';
import { StoreSchedules } from './store-schedules';
import { FINISHED_CHANNEL, finishedPayloads, finishedTaskIds, parseFinishedPayload } from './task-finished';
import {
  getTaskDetails,
  getTaskStateOf,
  listTaskRecords,
  type TaskFilter,
  type TaskPage,
} from './task-reads';
import { READY_CHANNEL } from './transition-log';
import { WorkerRegistry } from './worker-registry';

/** A claimed step's audit ids, in order: one, or two for a lease takeover. */
function transitionIdsOf(row: Record<string, unknown>): number[] {
  if (row.first_id === null || row.first_id === undefined) return [];
  const first = Number(row.first_id);
  const last = Number(row.last_id);
  return first === last ? [first] : [first, last];
}

/**
 * How long a ready step waits before it counts one priority level higher in the claim's order
 * (the engine's `engine.priorityAgingMs`).
 */
export const DEFAULT_PRIORITY_AGING_MS = 60_000;

function scheduledRetry(change: Change): boolean {
  return (
    change.delayed === true ||
    change.transitions.some((t) => t.kind === 'step' && t.to === 'waiting_for_retry')
  );
}

import type { NewTask } from './new-task';

export type { NewStep, NewTask } from './new-task';

/** The result of a claimed step's attempt. */
export type StepOutcome =
  | { readonly kind: 'complete'; readonly stepId: string; readonly token: number; readonly result: unknown }
  | {
      readonly kind: 'fail';
      readonly stepId: string;
      readonly token: number;
      readonly error: EventError;
      /** False for a permanent error: no retry whatever the limit. */
      readonly retryable: boolean;
      /** Backoff before the next attempt, when one is left. */
      readonly delayMs: number;
      readonly retryAfterMs?: number;
    };

export type { WorkerBeat, WorkerRecord } from './worker-registry';

/** Options of {@link TaskStore}. */
export interface TaskStoreOptions {
  /** Called after every statement (SQL monitoring). */
  readonly onQuery?: (info: QueryInfo) => void;
  /** Called when a transient database error is about to be retried. */
  readonly onTransientError?: (error: unknown, attempt: number) => void;
  readonly transientRetry?: Partial<TransientRetryOptions>;
}

/**
 * Durable state of tasks and steps on PGlite or PostgreSQL. Make one with `createPgliteStore`
 * or `createPostgresStore`.
 */
export class TaskStore {
  readonly #ctx: StoreContext;
  #migrated: Promise<number[]> | undefined;
  #insights: StoreInsights | undefined;
  #audit: StoreAudit | undefined;
  #retention: StoreRetention | undefined;
  #schedules: StoreSchedules | undefined;

  /**
   * The payload of this store's NOTIFYs. Its own listeners ignore them: the engines on this
   * store are woken in-process (`watchReady`) when it commits ready steps.
   */
  readonly #origin = randomUUID();
  readonly #readyListeners = new Set<() => void>();
  #closed = false;
  /** How far the events of this store's writes are published (see {@link PublishLedger}). */
  readonly ledger = new PublishLedger();
  /** The engines of this store in the worker registry; the first is the store's writer. */
  readonly registry: WorkerRegistry;
  /** Watchers of one task each ({@link watchTask}), by task id. */
  readonly #taskWatchers = new Map<string, Set<() => void>>();
  /** LISTEN on the task-finished channel: opened by the first watcher, kept until `close()`. */
  #finishedListener: Promise<(() => Promise<void>) | undefined> | undefined;
  /** Task-finished notifications sent after a commit and not yet acknowledged. */
  readonly #notifying = new Set<Promise<unknown>>();
  /** Running steps cancelled or resolved by hand: their workers abort them at once. */
  readonly #stopped: StoppedSteps;

  constructor(driver: SqlDriver, options: TaskStoreOptions = {}) {
    this.#ctx = new StoreContext(
      driver,
      options.onQuery,
      { ...DEFAULT_TRANSIENT_RETRY, ...options.transientRetry },
      options.onTransientError,
    );
    this.registry = new WorkerRegistry(this.#ctx, this.ledger);
    this.#stopped = new StoppedSteps(this.#ctx, this.#origin, (sent) => {
      this.#notifying.add(sent);
      void sent.finally(() => this.#notifying.delete(sent));
    });
  }

  /** `pglite` or `postgres`. */
  get dialect(): SqlDriver['dialect'] {
    return this.#ctx.driver.dialect;
  }

  /** The connection pool's use now (see `SqlDriver.poolStats`), or undefined without a pool. */
  poolStats(): PoolStats | undefined {
    return this.#ctx.driver.poolStats?.();
  }

  /** Read-only aggregates for health checks and analytics. */
  get insights(): StoreInsights {
    this.#insights ??= new StoreInsights(this.#ctx);
    return this.#insights;
  }

  /** Reads of the transition audit: step spans (critical path) and the event feed's pages. */
  get audit(): StoreAudit {
    this.#audit ??= new StoreAudit(this.#ctx);
    return this.#audit;
  }

  /** The retention sweep's statements (the engine's `runRetention` drives them). */
  get retention(): StoreRetention {
    this.#retention ??= new StoreRetention(this.#ctx);
    return this.#retention;
  }

  /** The schedules' statements (the engine's scheduler drives them; issue #14). */
  get schedules(): StoreSchedules {
    this.#schedules ??= new StoreSchedules(
      this.#ctx,
      this.#origin,
      () => this.registry.writer,
      (change) => this.#announce(change),
    );
    return this.#schedules;
  }

  /**
   * Applies pending migrations (once per store; safe with many processes). Resolves to the ids
   * of the migrations this store applied (empty when the database was up to date); later calls
   * return the first call's answer.
   */
  migrate(): Promise<number[]> {
    this.#migrated ??= migrate(this.#ctx.driver).catch((error) => {
      this.#migrated = undefined;
      throw error;
    });
    return this.#migrated;
  }

  /** Calls `listener` after every statement (SQL monitoring: name, duration, rows). */
  observeQueries(listener: (info: QueryInfo) => void): void {
    this.#ctx.observe(listener);
  }

  /** The database's clock, epoch ms. */
  async databaseNow(): Promise<number> {
    const r = await this.#ctx.query<{ now: number }>(databaseNow);
    return num(r.rows[0]?.now);
  }

  /** Wakes `onReady` whenever steps become ready in any process. */
  /**
   * Wakes `onReady` whenever steps become ready in another process (LISTEN). This store's own
   * notifications are skipped: {@link watchReady} reports those in-process.
   */
  listen(onReady: () => void, onReconnect?: () => void): Promise<() => Promise<void>> {
    return this.#ctx.driver.listen(
      READY_CHANNEL,
      (payload) => {
        if (payload !== this.#origin) onReady();
      },
      onReconnect,
    );
  }

  /**
   * Calls `onReady` (synchronously, in this process) after each of this store's commits that
   * made steps ready or scheduled a retry. Returns the function that stops it.
   */
  watchReady(onReady: () => void): () => void {
    this.#readyListeners.add(onReady);
    return () => {
      this.#readyListeners.delete(onReady);
    };
  }

  /**
   * Wakes this store's watchers when `change` made steps ready or scheduled a retry (a woken
   * worker claims, and learns when the retry falls due).
   */
  #announce<T extends Change | { change: Change }>(result: T, notifiedInSql = false): T {
    const change: Change = 'change' in result ? result.change : (result as Change);
    if (change.ready.length > 0 || scheduledRetry(change)) for (const wake of this.#readyListeners) wake();
    const finished = finishedTaskIds(change);
    if (finished.length > 0) {
      this.#wakeTaskWatchers(finished);
      if (!notifiedInSql) this.#notifyFinished(finished);
    }
    this.#stopped.announce(change);
    return result;
  }

  /**
   * Calls `onStopped` with the ids of running steps that were cancelled or resolved by hand, by
   * any store (in-process at once, from other processes by LISTEN). Resolves once listening;
   * the returned function stops the watch. Workers use it to abort those steps' handlers.
   */
  watchStopped(onStopped: (stepIds: readonly string[]) => void): Promise<() => void> {
    return this.#stopped.watch(onStopped);
  }

  /**
   * Tells other stores (other processes, or other stores of this one) that tasks finished: one
   * NOTIFY per 200 tasks, after the commit. Not awaited, so the caller (a worker settling steps)
   * does not wait a round trip for it; a failure only delays a waiter until its poll.
   *
   * (The settle statement, the hot path, sends its own in its transaction instead.)
   */
  #notifyFinished(taskIds: readonly string[]): void {
    const run = this.#ctx.runner(this.#ctx.driver);
    for (const payload of finishedPayloads(this.#origin, taskIds)) {
      const sent = run(notify, [FINISHED_CHANNEL, payload]).catch(() => {});
      this.#notifying.add(sent);
      void sent.finally(() => this.#notifying.delete(sent));
    }
  }

  #wakeTaskWatchers(taskIds: readonly string[]): void {
    for (const id of taskIds) {
      const watchers = this.#taskWatchers.get(id);
      if (watchers !== undefined) for (const wake of watchers) wake();
    }
  }

  /**
   * Calls `onFinished` when `taskId` may have finished: a commit of this store moved it to
   * `complete`, `error`, `cancelled` or `resolved_manually` (in-process), another store notified
   * it (LISTEN), or the LISTEN connection came back after a drop (a notification may have been
   * lost). Resolves once listening, so that a state read after it cannot miss the change; when
   * LISTEN cannot be opened it resolves anyway, and the caller's poll is all that is left. The
   * returned function stops the watch.
   */
  async watchTask(taskId: string, onFinished: () => void): Promise<() => void> {
    let watchers = this.#taskWatchers.get(taskId);
    if (watchers === undefined) {
      watchers = new Set();
      this.#taskWatchers.set(taskId, watchers);
    }
    watchers.add(onFinished);
    const stop = () => {
      const current = this.#taskWatchers.get(taskId);
      if (current === undefined) return;
      current.delete(onFinished);
      if (current.size === 0) this.#taskWatchers.delete(taskId);
    };
    this.#finishedListener ??= this.#listenFinished();
    if ((await this.#finishedListener) === undefined) this.#finishedListener = undefined;
    return stop;
  }

  async #listenFinished(): Promise<(() => Promise<void>) | undefined> {
    try {
      return await this.#ctx.driver.listen(
        FINISHED_CHANNEL,
        (payload) => {
          const { origin, taskIds } = parseFinishedPayload(payload);
          if (origin !== this.#origin) this.#wakeTaskWatchers(taskIds);
        },
        () => {
          for (const watchers of [...this.#taskWatchers.values()]) for (const wake of watchers) wake();
        },
      );
    } catch {
      return undefined;
    }
  }

  /** A task's state (one row), or undefined when there is no such task. */
  taskState(taskId: string): Promise<TaskState | undefined> {
    return getTaskStateOf(this.#ctx, taskId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const listening = this.#finishedListener;
    this.#finishedListener = undefined;
    const unlisten = await listening;
    await unlisten?.().catch(() => {});
    await this.#stopped.close();
    await Promise.all([...this.#notifying]);
    await this.#ctx.driver.close();
  }

  /** `close()` was called: nothing more may run on this store. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Creates a task, its steps and their transitions in one statement; root steps are ready at
   * once. With an `identityKey` that exists, creates nothing and returns the existing task's id.
   */
  createTask(input: NewTask, now: number): Promise<{ taskId: string; created: boolean; change: Change }> {
    return createTaskRecord(this.#ctx, input, now, this.#origin, this.registry.writer).then((r) =>
      this.#announce(r),
    );
  }

  /**
   * Creates many tasks in one statement (one transaction, one round trip; see
   * `create-tasks-batch.ts`), answering each in input order: a task whose identity key is taken,
   * by an existing task or by an earlier one of the batch, is that task with `created: false`.
   * Idle workers are woken once. Every task is checked first: one the database cannot store is
   * refused (`BatchItemError`, naming its index) and nothing is written. Keep a batch to a few
   * thousand tasks: the engine's `submitMany` splits longer lists.
   */
  createTasks(inputs: readonly NewTask[], now: number): Promise<CreatedTasks> {
    return createTaskRecords(this.#ctx, inputs, now, this.#origin, this.registry.writer).then((r) =>
      this.#announce(r),
    );
  }

  /**
   * Claims up to `limit` ready steps for `workerId` with a lease of `leaseMs`, atomically
   * (`for update skip locked`), with their parents' results: steps whose claim key is one of
   * `keys` (see `claimKey`), or of any key when `keys` is omitted.
   */
  async claim(
    workerId: string,
    now: number,
    limit: number,
    leaseMs: number,
    keys?: readonly string[],
    priorityAgingMs: number = DEFAULT_PRIORITY_AGING_MS,
  ): Promise<ClaimedStep[]> {
    return (await this.claimReady(workerId, now, limit, leaseMs, keys, priorityAgingMs)).steps;
  }

  /**
   * {@link claim}, and when the next step becomes claimable (a retry falls due, a lease
   * expires), as far as this claim could see: `undefined` when nothing is scheduled.
   */
  async claimReady(
    workerId: string,
    now: number,
    limit: number,
    leaseMs: number,
    keys?: readonly string[],
    priorityAgingMs: number = DEFAULT_PRIORITY_AGING_MS,
  ): Promise<{ steps: ClaimedStep[]; nextReadyAt: number | undefined }> {
    const claimKeys = keys ?? (await this.#claimKeysInUse());
    // Not retried on a transient error: a retry would claim with a stale `now` (and hand out
    // leases that expired while the database was away). The worker claims again, with a fresh one.
    const claimed = await this.#ctx.queryOnce(claimSteps, [
      now,
      limit,
      workerId,
      leaseMs,
      claimKeys,
      this.registry.writer,
      priorityAgingMs,
    ]);
    const steps: ClaimedStep[] = [];
    for (const r of claimed.rows) {
      if (r.id === null || r.id === undefined) continue;
      steps.push({
        id: String(r.id),
        name: String(r.name),
        handler: String(r.handler),
        task: taskInfoFrom(r, true),
        context: r.context,
        inputs: r.inputs,
        attempt: num(r.attempts),
        retryLimit: num(r.retry_limit),
        retryable: r.retryable === true,
        token: num(r.lease_token),
        timeoutMs: optNum(r.timeout_ms),
        fromState: r.from_state as StepState,
        parentResults: (r.parent_results ?? {}) as Record<string, unknown>,
        claimedAt: now,
        transitionIds: transitionIdsOf(r),
      });
    }
    return { steps, nextReadyAt: optNum(claimed.rows[0]?.next_ready_at) };
  }

  /** Extends the leases of held steps; returns the ids still held (others were lost). */
  async renewLeases(
    held: readonly { id: string; token: number }[],
    now: number,
    leaseMs: number,
  ): Promise<Set<string>> {
    if (held.length === 0) return new Set();
    const r = await this.#ctx.query(renewLeases, [
      now,
      leaseMs,
      held.map((h) => h.id),
      held.map((h) => h.token),
    ]);
    return new Set(r.rows.map((row) => String(row.id)));
  }

  /**
   * Records the outcomes of claimed steps in one statement: each step's new state (fenced by
   * its token), the readiness of children (computed in SQL), the tasks' finalisation and the
   * transitions. Outcomes whose token is stale are returned in `fenced` and change nothing.
   */
  settle(outcomes: readonly StepOutcome[], now: number): Promise<{ change: Change; fenced: string[] }> {
    return settleOutcomes(this.#ctx, outcomes, now, this.#origin, this.registry.writer).then((r) =>
      this.#announce(r, true),
    );
  }

  /** Cancels a task and every unfinished step of it. */
  cancelTask(taskId: string, now: number, options: ManualOptions = {}): Promise<Change> {
    return this.#ctx
      .transaction((run) => cancelTask(run, taskId, now, options, this.registry.writer))
      .then((c) => this.#announce(c));
  }

  /** Cancels a step and its descendants; the task moves to `cancelled`. */
  cancelStep(stepId: string, now: number, options: ManualOptions = {}): Promise<Change> {
    return this.#ctx
      .transaction((run) => cancelStepAndDescendants(run, stepId, now, options, this.registry.writer))
      .then((c) => this.#announce(c));
  }

  /** Moves a step in `error` back to `pending`; an `error` task moves back to `in_progress`. */
  retryStep(stepId: string, now: number, options: ManualOptions = {}): Promise<Change> {
    return this.#ctx
      .transaction((run) => retryErroredStep(run, stepId, now, options, this.registry.writer))
      .then((c) => this.#announce(c));
  }

  /** Resolves an unfinished step by hand, optionally with a result for its children. */
  resolveStep(
    stepId: string,
    now: number,
    options: ManualOptions & { result?: unknown } = {},
  ): Promise<Change> {
    return this.#ctx
      .transaction((run) => resolveStepManually(run, stepId, now, options, this.registry.writer))
      .then((c) => this.#announce(c));
  }

  /** Changes a step's retry limit or inputs. Returns false when the step does not exist. */
  async updateStep(stepId: string, changes: { retryLimit?: number; inputs?: unknown }): Promise<boolean> {
    if (changes.inputs !== undefined) assertStorableJson('inputs', changes.inputs);
    const r = await this.#ctx.query(updateStep, [
      stepId,
      changes.retryLimit ?? null,
      changes.inputs === undefined ? null : JSON.stringify(changes.inputs),
    ]);
    return r.rows.length > 0;
  }

  /** Changes a task's reason, tags or annotations (merged by type). False when it does not exist. */
  async updateTask(
    taskId: string,
    changes: { reason?: string; tags?: readonly string[]; annotations?: Readonly<Record<string, JsonValue>> },
    now: number,
  ): Promise<boolean> {
    assertStorableText('reason', changes.reason);
    for (const [i, tag] of (changes.tags ?? []).entries()) assertStorableText(`tags[${i}]`, tag);
    assertStorableJson('annotations', changes.annotations);
    const r = await this.#ctx.query(updateTask, [
      taskId,
      changes.reason ?? null,
      changes.tags === undefined ? null : [...changes.tags],
      changes.annotations === undefined ? null : JSON.stringify(changes.annotations),
      now,
    ]);
    return r.rows.length > 0;
  }

  /**
   * Gives up the leases of steps this worker no longer runs (it stops): each is claimable at
   * once, first in claim order, and idle workers are woken. Returns the ids released.
   */
  async releaseLeases(held: readonly { id: string; token: number }[], now: number): Promise<string[]> {
    if (held.length === 0) return [];
    const r = await this.#ctx.query(releaseLeases, [
      now,
      held.map((h) => h.id),
      held.map((h) => h.token),
      READY_CHANNEL,
      this.#origin,
    ]);
    return r.rows.map((row) => String(row.id));
  }

  /** The claim keys of every ready step (for a claim that names none: tools and tests). */
  async #claimKeysInUse(): Promise<string[]> {
    const r = await this.#ctx.query(claimKeysInUse);
    const keys = r.rows.map((row) => String(row.claim_key));
    return keys.includes(LEGACY_CLAIM_KEY) ? keys : [...keys, LEGACY_CLAIM_KEY];
  }

  /**
   * A task with its steps and transitions, or undefined. With `maxBytes`, values that do not fit
   * that many bytes of JSON are left out and named in `omitted`; without, everything comes.
   */
  getTask(taskId: string, options: { maxBytes?: number } = {}): Promise<TaskDetails | undefined> {
    return getTaskDetails(this.#ctx, taskId, options.maxBytes);
  }

  /**
   * A page of tasks matching `filter`, newest first unless sorted otherwise: summaries, or with
   * `include: 'context'` whole records, within `maxBytes` (4 MiB by default), with the total
   * number of matches and the next page's cursor.
   */
  listTasks(filter: TaskFilter = {}): Promise<TaskPage> {
    return listTaskRecords(this.#ctx, filter);
  }
}
