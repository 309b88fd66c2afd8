/**
 * The task store: every durable operation of the engine, each one transaction or one atomic
 * statement over the SQL of `./sql` (the hot path, creating tasks, claiming and settling
 * steps, is one statement each: one round trip and one commit). It speaks to either driver
 * and returns plain records and `Change`s; it never publishes events (the engine does, after
 * commit).
 */
import { randomUUID } from 'node:crypto';
import type { EventError, TraceContext } from '@tasker/router';
import type { StepState } from '../states/step-states';
import type { TaskState } from '../states/task-states';
import { LEGACY_CLAIM_KEY } from './claim-key';
import { createTaskRecord } from './create-task-record';
import type { SqlDriver } from './driver';
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
  type ReadySteps,
  type StepTransitionRecord,
  type TaskDetails,
  type TaskInfo,
  type TaskRecord,
  taskInfoFrom,
} from './records';
import { settleOutcomes } from './settle-outcomes';
import { claimKeysInUse, claimSteps, releaseLeases, renewLeases } from './sql/claim-steps';
import { updateStep } from './sql/manage-steps';
import { databaseNow, notify } from './sql/read-tasks';
import { releaseChildren } from './sql/settle-step';
import { countErroredSteps, stepsSatisfied, transitionTask, updateTask } from './sql/task-state';
import {
  heartbeatWorker,
  lockDeadWriter,
  markRecovered,
  pruneWorkers,
  recentWorkers,
  registerWorker,
  stopWorker,
  unpublishedTransitions,
} from './sql/workers';
import { assertStorableJson, assertStorableText } from './storable';
import {
  DEFAULT_TRANSIENT_RETRY,
  type QueryInfo,
  StoreContext,
  type TransientRetryOptions,
} from './store-context';
import { StoreInsights } from './store-insights';
import { FINISHED_CHANNEL, finishedPayloads, finishedTaskIds, parseFinishedPayload } from './task-finished';
import { getTaskDetails, getTaskStateOf, listTaskRecords, type TaskFilter } from './task-reads';
import { logChange, READY_CHANNEL } from './transition-log';

/** A claimed step's audit ids, in order: one, or two for a lease takeover. */
function transitionIdsOf(row: Record<string, unknown>): number[] {
  if (row.first_id === null || row.first_id === undefined) return [];
  const first = Number(row.first_id);
  const last = Number(row.last_id);
  return first === last ? [first] : [first, last];
}

function scheduledRetry(change: Change): boolean {
  return change.transitions.some((t) => t.kind === 'step' && t.to === 'waiting_for_retry');
}

/** One step of a task to create, parents first. */
export interface NewStep {
  readonly name: string;
  readonly handler: string;
  readonly retryable: boolean;
  readonly retryLimit: number;
  readonly timeoutMs: number | undefined;
  readonly skippable: boolean;
  readonly dependsOn: readonly string[];
  /** The queue the step is claimed from. Default `default`. */
  readonly queue?: string;
}

/** A task to create. */
export interface NewTask {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
  readonly context: unknown;
  readonly initiator?: string;
  readonly sourceSystem?: string;
  readonly reason?: string;
  readonly tags: readonly string[];
  readonly annotations: Readonly<Record<string, JsonValue>>;
  readonly identityKey?: string;
  readonly traceContext?: TraceContext;
  readonly bypassSteps: readonly string[];
  readonly steps: readonly NewStep[];
}

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

/** What a heartbeat reports. */
export interface WorkerBeat {
  readonly running: boolean;
  readonly claimKeys: readonly string[];
  readonly concurrency: number;
  readonly inFlight: number;
}

/** A process of the worker registry. */
export interface WorkerRecord {
  readonly seq: number;
  readonly workerId: string;
  readonly hostname: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly heartbeatEveryMs: number;
  readonly stoppedAt: number | undefined;
  readonly running: boolean;
  readonly claimKeys: readonly string[];
  readonly concurrency: number;
  readonly inFlight: number;
}

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

  /**
   * The payload of this store's NOTIFYs. Its own listeners ignore them: the engines on this
   * store are woken in-process (`watchReady`) when it commits ready steps.
   */
  readonly #origin = randomUUID();
  readonly #readyListeners = new Set<() => void>();
  /** This process's number in the worker registry, recorded with its transitions. */
  #writer: number | null = null;
  #closed = false;
  /** The registry numbers of the engines registered through this store and not stopped. */
  readonly #engines = new Set<number>();
  /** How far the events of this store's writes are published (see {@link PublishLedger}). */
  readonly ledger = new PublishLedger();
  /** Watchers of one task each ({@link watchTask}), by task id. */
  readonly #taskWatchers = new Map<string, Set<() => void>>();
  /** LISTEN on the task-finished channel: opened by the first watcher, kept until `close()`. */
  #finishedListener: Promise<(() => Promise<void>) | undefined> | undefined;
  /** Task-finished notifications sent after a commit and not yet acknowledged. */
  readonly #notifying = new Set<Promise<unknown>>();

  constructor(driver: SqlDriver, options: TaskStoreOptions = {}) {
    this.#ctx = new StoreContext(
      driver,
      options.onQuery,
      { ...DEFAULT_TRANSIENT_RETRY, ...options.transientRetry },
      options.onTransientError,
    );
  }

  /** `pglite` or `postgres`. */
  get dialect(): SqlDriver['dialect'] {
    return this.#ctx.driver.dialect;
  }

  /** Read-only aggregates for health checks and analytics. */
  get insights(): StoreInsights {
    this.#insights ??= new StoreInsights(this.#ctx);
    return this.#insights;
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
    return result;
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
    return createTaskRecord(this.#ctx, input, now, this.#origin, this.#writer).then((r) => this.#announce(r));
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
  ): Promise<ClaimedStep[]> {
    return (await this.claimReady(workerId, now, limit, leaseMs, keys)).steps;
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
      this.#writer,
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
    return settleOutcomes(this.#ctx, outcomes, now, this.#origin, this.#writer).then((r) =>
      this.#announce(r, true),
    );
  }

  /** Cancels a task and every unfinished step of it. */
  cancelTask(taskId: string, now: number, options: ManualOptions = {}): Promise<Change> {
    return this.#ctx
      .transaction((run) => cancelTask(run, taskId, now, options, this.#writer))
      .then((c) => this.#announce(c));
  }

  /** Cancels a step and its descendants; the task moves to `cancelled`. */
  cancelStep(stepId: string, now: number, options: ManualOptions = {}): Promise<Change> {
    return this.#ctx
      .transaction((run) => cancelStepAndDescendants(run, stepId, now, options, this.#writer))
      .then((c) => this.#announce(c));
  }

  /** Moves a step in `error` back to `pending`; an `error` task moves back to `in_progress`. */
  retryStep(stepId: string, now: number, options: ManualOptions = {}): Promise<Change> {
    return this.#ctx
      .transaction((run) => retryErroredStep(run, stepId, now, options, this.#writer))
      .then((c) => this.#announce(c));
  }

  /** Resolves an unfinished step by hand, optionally with a result for its children. */
  resolveStep(
    stepId: string,
    now: number,
    options: ManualOptions & { result?: unknown } = {},
  ): Promise<Change> {
    const resolving = this.#ctx.transaction(async (run) => {
      const change = await resolveStepManually(run, stepId, now, options);
      const writer = this.#writer;
      const stepRecords = change.transitions.filter((t): t is StepTransitionRecord => t.kind === 'step');
      const first = stepRecords[0];
      if (first !== undefined) {
        const satisfied = new Map([[first.task.id, { task: first.task, count: 1 }]]);
        change.ready.push(...(await releaseSatisfied(run, [first.stepId], satisfied, now)));
        await finishResolution(run, change, first.task, now);
      }
      await logChange(run, change, now, writer);
      return change;
    });
    return resolving.then((c) => this.#announce(c));
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

  /** The registry number its transitions are recorded under, once an engine registered. */
  get writer(): number | null {
    return this.#writer;
  }

  /**
   * Registers an engine in the worker registry and returns its number. The first engine of
   * this store becomes its writer: the store's transitions are recorded under its number, and
   * its heartbeats carry the store's publish watermark.
   */
  async registerWorker(info: {
    workerId: string;
    hostname: string;
    pid: number;
    now: number;
    heartbeatEveryMs: number;
    publishes: boolean;
  }): Promise<number> {
    const r = await this.#ctx.query(registerWorker, [
      info.workerId,
      info.hostname,
      info.pid,
      info.now,
      info.heartbeatEveryMs,
      info.publishes,
    ]);
    const row = r.rows[0] as Record<string, unknown>;
    this.ledger.observe(num(row.transitions_seq));
    const seq = num(row.seq);
    this.#engines.add(seq);
    this.#writer ??= seq;
    return seq;
  }

  /** Engine `seq`'s heartbeat: alive, what it runs, and (for the writer) how far events are published. */
  async heartbeat(seq: number, now: number, state: WorkerBeat): Promise<void> {
    const watermark = seq === this.#writer ? this.ledger.watermark() : 0;
    const r = await this.#ctx.query(heartbeatWorker, [
      seq,
      now,
      state.running,
      [...state.claimKeys],
      state.concurrency,
      state.inFlight,
      watermark,
    ]);
    const row = r.rows[0];
    if (row !== undefined) this.ledger.observe(num(row.transitions_seq));
  }

  /**
   * Records engine `seq`'s clean stop. The writer's events need no recovery when no write is
   * open; otherwise its row is left for recovery (a republish after the watermark: repeats,
   * never a loss). Another engine of this store, if any, becomes the writer.
   */
  async stopWorker(seq: number, now: number): Promise<void> {
    const writer = seq === this.#writer;
    this.#engines.delete(seq);
    if (writer) this.#writer = this.#engines.values().next().value ?? null;
    const settled = !writer || this.ledger.open === 0;
    await this.#ctx.query(stopWorker, [seq, now, writer ? this.ledger.watermark() : 0, settled]);
  }

  /**
   * Republishes the events of one process that died with events possibly unpublished: locks
   * it (another recovering process takes another), hands its transitions after its watermark
   * to `publish` (with the task and step fields their events need), and marks it recovered.
   * Returns how many transitions it handed over, or undefined when no process needed it.
   */
  async recoverDeadWriter(
    now: number,
    minSilenceMs: number,
    publish: (dead: { seq: number; workerId: string }, rows: readonly Record<string, unknown>[]) => void,
  ): Promise<number | undefined> {
    return this.#ctx.transaction(async (run) => {
      const dead = (await run(lockDeadWriter, [now, minSilenceMs])).rows[0];
      if (dead === undefined) return undefined;
      const seq = num(dead.seq);
      const rows = (await run(unpublishedTransitions, [seq, num(dead.published_through)])).rows;
      publish({ seq, workerId: String(dead.worker_id) }, rows);
      await run(markRecovered, [seq]);
      return rows.length;
    });
  }

  /** Processes seen within `windowMs` (live ones, and those stopped or silent that recently). */
  async recentWorkers(now: number, windowMs: number): Promise<WorkerRecord[]> {
    const r = await this.#ctx.query(recentWorkers, [now, windowMs]);
    return r.rows.map((row) => ({
      seq: num(row.seq),
      workerId: String(row.worker_id),
      hostname: String(row.hostname),
      pid: num(row.pid),
      startedAt: num(row.started_at),
      heartbeatAt: num(row.heartbeat_at),
      heartbeatEveryMs: num(row.heartbeat_every_ms),
      stoppedAt: row.stopped_at == null ? undefined : num(row.stopped_at),
      running: row.running === true,
      claimKeys: (row.claim_keys ?? []) as string[],
      concurrency: num(row.concurrency),
      inFlight: num(row.in_flight),
    }));
  }

  /** Forgets processes not seen for `ageMs` whose events need nothing more. */
  async pruneWorkers(now: number, ageMs: number): Promise<number> {
    const r = await this.#ctx.query(pruneWorkers, [now, ageMs]);
    return r.rowCount;
  }

  /** A task with its steps and transitions, or undefined. */
  getTask(taskId: string): Promise<TaskDetails | undefined> {
    return getTaskDetails(this.#ctx, taskId);
  }

  /** Tasks matching `filter`, newest first, with the total number of matches. */
  listTasks(filter: TaskFilter = {}): Promise<{ tasks: TaskRecord[]; total: number }> {
    return listTaskRecords(this.#ctx, filter);
  }
}

async function releaseSatisfied(
  run: Parameters<typeof logChange>[0],
  parents: readonly string[],
  tasks: ReadonlyMap<string, { task: TaskInfo }>,
  now: number,
): Promise<ReadySteps[]> {
  if (parents.length === 0) return [];
  const r = await run(releaseChildren, [parents, now]);
  const byTask = new Map<string, { stepIds: string[]; stepNames: string[] }>();
  for (const row of r.rows) {
    if (row.state !== 'pending' || num(row.pending_parents) !== 0) continue;
    const taskId = String(row.task_id);
    const group = byTask.get(taskId) ?? { stepIds: [], stepNames: [] };
    group.stepIds.push(String(row.id));
    group.stepNames.push(String(row.name));
    byTask.set(taskId, group);
  }
  return [...byTask].map(([taskId, g]) => ({ task: tasks.get(taskId)!.task, ...g }));
}

/** After a resolution: finalise, or lift an `error` task back to work when nothing is in error. */
async function finishResolution(
  run: Parameters<typeof logChange>[0],
  change: Change,
  task: TaskInfo,
  now: number,
) {
  const r = await run(stepsSatisfied, [task.id, 1, now]);
  const row = r.rows[0];
  if (row === undefined) return;
  if (row.from_state !== row.to_state) {
    change.transitions.push({ kind: 'task', task, from: 'in_progress', to: 'complete', at: now });
    return;
  }
  if (row.to_state !== 'error') return;
  const errored = await run<{ n: number }>(countErroredSteps, [task.id]);
  if (num(errored.rows[0]?.n) > 0) return;
  const to = num(row.unfinished_steps) <= 0 ? 'resolved_manually' : 'in_progress';
  await run(transitionTask, [task.id, ['error'], to, now]);
  change.transitions.push({
    kind: 'task',
    task,
    from: 'error',
    to,
    at: now,
    reason: 'step resolved manually',
  });
}
