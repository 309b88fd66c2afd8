/**
 * The engine's public types: what `createTasker` takes (`TaskerOptions`) and what it returns
 * (`Tasker`, with `SubmitResult` and `TaskerStats`).
 */
import type { EventRouter, TraceContext } from '@tasker/router';
import type { TaskerConfig, TaskerConfigInput } from '../config/config-schema';
import type { TaskDefinition } from '../definitions/define-task';
import type { HandlerMap } from '../handlers/step-handler';
import type { TaskRegistry } from '../registry/task-registry';
import type { ManualOptions } from '../store/manual-operations';
import type { JsonValue, TaskDetails } from '../store/records';
import type { RetentionRunRecord } from '../store/store-retention';
import type { TaskFilter, TaskPage } from '../store/task-reads';
import type { TaskStore, WorkerRecord } from '../store/task-store';
import type { Clock } from './clock';
import type { StepMiddleware } from './middleware';
import type { RetentionRunResult } from './retention';
import type { TaskerSchedules } from './schedules';
import type { SubmitRequest } from './submit';
import type { SubmitManyOptions } from './submit-many';

/** Options of {@link createTasker}. */
export interface TaskerOptions {
  /**
   * Where state lives. Default: a store made from `config.store` (PGlite in memory).
   *
   * Whoever makes a store closes it. A store made here from `config.store` is closed by
   * `stop()`; a store passed here is not (as with a `pg.Pool` handed to a library), since it may
   * outlive this engine or be shared with others: call `store.close()` after `stop()`, or its
   * connections keep the process alive.
   *
   * @example
   * ```ts
   * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL });
   * const tasker = createTasker({ tasks: [checkout], store });
   * await tasker.start();
   * // …
   * await tasker.stop();
   * await store.close();
   * ```
   */
  readonly store?: TaskStore;
  /** Where lifecycle events go. Without one, nothing is published. */
  readonly router?: EventRouter;
  /** The task definitions this process may submit and run (or a registry holding them). */
  readonly tasks: readonly TaskDefinition[] | TaskRegistry;
  /** Handlers named by string in definitions (`handler: 'charge_card'`). */
  readonly handlers?: HandlerMap;
  /** The configuration object (see `TaskerConfigInput`); every field has a default. */
  readonly config?: TaskerConfigInput;
  readonly middleware?: readonly StepMiddleware[];
  /**
   * Fills the trace-propagation record of a task submitted without one (see
   * `SubmitRequest.traceContext`), e.g. `tracing.traceContext` of `@tasker/adapters/otel`, which
   * reserves the task's trace and root span. It runs in `submit()`, in the submitter's context.
   * A throw fails the submit.
   */
  readonly traceContext?: (task: {
    readonly namespace: string;
    readonly name: string;
    readonly version: string;
  }) => TraceContext | undefined;
  /** Default: the database's clock. Tests pass `createManualClock()`. */
  readonly clock?: Clock;
  /** Jitter source, [0, 1). Default `Math.random`. */
  readonly random?: () => number;
  /** Where background errors go (they never end the process). Default: `console.warn`. */
  readonly onError?: (error: unknown, during: string) => void;
}

/** What `submit` returns. */
export interface SubmitResult {
  readonly taskId: string;
  /** False when an identity key matched an existing task, which is returned instead. */
  readonly created: boolean;
}

/** The engine. Make one with {@link createTasker}. */
export interface Tasker {
  readonly config: TaskerConfig;
  readonly registry: TaskRegistry;
  readonly workerId: string;
  /** Validates and durably creates a task; its root steps are ready at once. */
  submit(request: SubmitRequest): Promise<SubmitResult>;
  /**
   * Submits many tasks, each as `submit` would, in batches of one statement each (one
   * transaction and one round trip per `batchSize` tasks, 1,000 by default), waking idle
   * workers once per batch. Answers in request order. Every request is validated before
   * anything is written: a bad one throws a `BatchItemError` naming its index and field, and
   * no task is created. A request whose identity key is taken (by an existing task, or by an
   * earlier request of the same call) answers that task with `created: false`. Should a later
   * batch fail, the batches before it stay written: a `SubmitManyError` carries their results.
   *
   * @example
   * ```ts
   * const results = await tasker.submitMany(
   *   orders.map((o) => ({ namespace: 'shop', name: 'checkout', version: '1.0.0', context: { orderId: o.id } })),
   * );
   * // [{ taskId: '…', created: true }, …], in the order of `orders`
   * ```
   */
  submitMany(requests: readonly SubmitRequest[], options?: SubmitManyOptions): Promise<SubmitResult[]>;
  /**
   * Starts claiming and running steps (a second call does nothing).
   *
   * @throws TaskerError `TASKER_STOPPED` after `stop()`: a stopped engine does not start again.
   */
  start(): Promise<void>;
  /** Stops claiming; waits for running steps up to `engine.shutdownTimeoutMs`, then aborts them. */
  stop(): Promise<void>;
  /**
   * Resolves with the task once it is complete, in error, cancelled or resolved.
   *
   * @throws TaskerError `WAIT_TIMEOUT` when `timeoutMs` passes first; `TASK_NOT_FOUND`.
   */
  waitFor(taskId: string, options?: { timeoutMs?: number }): Promise<TaskDetails>;
  cancel(taskId: string, options?: ManualOptions): Promise<void>;
  updateTask(
    taskId: string,
    changes: { reason?: string; tags?: readonly string[]; annotations?: Readonly<Record<string, JsonValue>> },
  ): Promise<void>;
  retryStep(stepId: string, options?: ManualOptions): Promise<void>;
  resolveStepManually(stepId: string, options?: ManualOptions & { result?: unknown }): Promise<void>;
  cancelStep(stepId: string, options?: ManualOptions): Promise<void>;
  updateStep(stepId: string, changes: { retryLimit?: number; inputs?: unknown }): Promise<void>;
  /**
   * A task with its steps (a ready step no live worker runs has a `waitingReason`) and
   * transitions. With `maxBytes`, values that do not fit are left out and named in `omitted`.
   */
  getTask(taskId: string, options?: { maxBytes?: number }): Promise<TaskDetails | undefined>;
  /** The worker registry: processes seen within `windowMs` (default 60 000), newest first. */
  workers(windowMs?: number): Promise<WorkerRecord[]>;
  /** A page of tasks (summaries unless `include: 'context'`), at most `maxBytes` of JSON; `nextCursor` pages on. */
  listTasks(filter?: TaskFilter): Promise<TaskPage>;
  /**
   * Runs the retention sweep once, now, with the configured policy (`retention`); `dryRun`
   * counts what it would remove. Workers also run it every `retention.intervalMs` when the
   * policy removes anything.
   */
  runRetention(options?: { dryRun?: boolean }): Promise<RetentionRunResult>;
  /** The newest recorded retention runs (default 10), newest first. */
  retentionRuns(limit?: number): Promise<RetentionRunRecord[]>;
  /**
   * Cron schedules (issue #14): list, add, pause, resume and remove them at run time. Engines
   * that run workers fire them (`schedules.enabled`), each slot once across every process.
   */
  readonly schedules: TaskerSchedules;
  /** The store (opened on first use). */
  store(): Promise<TaskStore>;
  /**
   * Steps this process completed since start, how many run now, and (with the default database
   * clock, once the store is open) the clock's offset to the database and how wrong it can be.
   */
  stats(): TaskerStats;
}

/** What {@link Tasker.stats} reports. */
export interface TaskerStats {
  readonly completed: number;
  readonly inFlight: number;
  readonly state: string;
  /**
   * When this process's claim loop last began a turn (wall clock, epoch ms); absent before
   * `start()`. An idle loop turns at least every `engine.pollIntervalMs`; one stuck (a claim
   * that does not return) stops moving it.
   */
  readonly loopAt?: number;
  /** The database clock: absent with an injected clock or before the store is open. */
  readonly clock?: { readonly offsetMs: number; readonly errorBoundMs: number };
}
