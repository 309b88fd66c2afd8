/**
 * `createTasker`: the engine's public face. It validates its configuration and definitions at
 * once, opens the store lazily (PGlite in memory unless told otherwise), runs the worker loop
 * between `start()` and `stop()`, and publishes every committed change's events.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { parseConfig, type TaskerConfig } from '../config/config-schema';
import type { TaskDefinition } from '../definitions/define-task';
import { TaskerError } from '../errors';
import { createTaskRegistry, type TaskRegistry } from '../registry/task-registry';
import { createPgliteStore, createPostgresStore } from '../store/create-store';
import type { ManualOptions } from '../store/manual-operations';
import type { Change, TaskDetails } from '../store/records';
import type { RetentionRunRecord } from '../store/store-retention';
import { WAIT_END_STATES } from '../store/task-finished';
import type { TaskFilter, TaskPage } from '../store/task-reads';
import type { NewTask, TaskStore, WorkerRecord } from '../store/task-store';
import { DEFAULT_BACKOFF } from './backoff';
import { claimKeysFor } from './claim-keys';
import { type Clock, createSyncedClock, type SyncedClock } from './clock';
import { EventPublisher } from './event-publisher';
import { leaseTiming } from './lease-timing';
import { Presence } from './presence';
import {
  RETENTION_SWEPT_EVENT,
  type RetentionRunResult,
  RetentionSweeper,
  retentionEnabled,
  runRetention,
} from './retention';
import { registerScheduleEvents, Scheduler } from './scheduler';
import { createTaskerSchedules, type TaskerSchedules } from './schedules';
import { buildNewTask, type SubmitRequest } from './submit';
import { type SubmitManyOptions, submitMany } from './submit-many';
import type { SubmitResult, Tasker, TaskerOptions, TaskerStats } from './tasker-types';
import { readySteps, withWaitingReasons } from './waiting-reason';
import { Worker } from './worker';

/**
 * Makes an engine. Validates `config` (a bad value throws, naming its path) and registers the
 * definitions' custom events with the router.
 *
 * @example
 * ```ts
 * const tasker = createTasker({ tasks: [checkout], config: { execution: { concurrency: 20 } } });
 * await tasker.start();
 * const { taskId } = await tasker.submit({ namespace: 'shop', name: 'checkout', version: '1.0.0', context: { orderId: 'o-1' } });
 * const task = await tasker.waitFor(taskId);
 * ```
 */
export function createTasker(options: TaskerOptions): Tasker {
  return new Engine(options);
}

class Engine implements Tasker {
  readonly config: TaskerConfig;
  readonly registry: TaskRegistry;
  readonly workerId: string;
  readonly #options: TaskerOptions;
  readonly #publisher: EventPublisher;
  #store: Promise<TaskStore> | undefined;
  #clock: Clock | undefined;
  #synced: SyncedClock | undefined;
  /** How wrong any worker's clock may be: half the round-trip bound, 0 for an injected clock. */
  readonly #clockErrorMs: number;
  /** `stop()` was called: the worker, the clock's source and an owned store are gone for good. */
  #stopped = false;
  #worker: Worker | undefined;
  #presence: Presence | undefined;
  #sweeper: RetentionSweeper | undefined;
  #scheduler: Scheduler | undefined;
  /** Schedules at run time (issue #14); workers fire them. */
  readonly schedules: TaskerSchedules;
  /** The claim keys of the registry's definitions, and the registry revision they were made at. */
  #claimKeys: { revision: number | undefined; keys: readonly string[] } | undefined;
  readonly #onError: (error: unknown, during: string) => void;

  constructor(options: TaskerOptions) {
    this.#options = options;
    this.config = parseConfig(options.config);
    // The lease must leave room for renewals before a handler is stopped (throws CONFIG_INVALID).
    this.#clockErrorMs = options.clock === undefined ? this.config.engine.clockMaxRoundTripMs / 2 : 0;
    leaseTiming(this.config.engine.leaseMs, this.config.engine.tickIntervalMs, this.#clockErrorMs);
    this.registry = Array.isArray(options.tasks)
      ? createTaskRegistry(options.tasks as readonly TaskDefinition[])
      : (options.tasks as TaskRegistry);
    this.workerId =
      this.config.engine.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.#publisher = new EventPublisher(options.router);
    this.#onError =
      options.onError ??
      ((error, during) => console.warn(`[tasker] ${during}: ${(error as Error)?.message ?? String(error)}`));
    const handlers = options.handlers ?? {};
    for (const def of this.registry.list()) {
      for (const step of def.steps) {
        if (typeof step.handler === 'string' && handlers[step.handler] === undefined) {
          throw new TaskerError(
            'HANDLER_NOT_FOUND',
            `Task ${def.key} step "${step.name}" names handler "${step.handler}", which is not in the handler map`,
          );
        }
        for (const e of step.customEvents) {
          options.router?.registerEvent({
            name: e.name,
            description: e.description,
            firedBy: e.firedBy.length > 0 ? [...e.firedBy] : [`${def.key}:${step.name}`],
          });
        }
      }
    }
    if (options.router !== undefined) {
      const router = options.router;
      router.registerEvent({ ...RETENTION_SWEPT_EVENT, firedBy: [...RETENTION_SWEPT_EVENT.firedBy] });
      // Unless the user routes it, a sweep's figures go where the default table sends outcomes.
      // In the default layer: a mapping the user adds later (a pattern too) beats it.
      if (router.mappingFor(RETENTION_SWEPT_EVENT.name) === undefined)
        router.mapDefault(RETENTION_SWEPT_EVENT.name, { backends: ['metrics', 'logs'] });
      registerScheduleEvents(router);
    }
    this.schedules = createTaskerSchedules({
      store: () => this.store(),
      scheduler: async () => this.#schedulerOf(await this.store()),
      registry: this.registry,
      now: () => this.#now(),
      workerId: this.workerId,
    });
  }

  /** The scheduler over the open store (made once). */
  #schedulerOf(store: TaskStore): Scheduler {
    this.#scheduler ??= new Scheduler({
      store,
      registry: this.registry,
      config: this.config.schedules,
      now: () => this.#now(),
      workerId: this.workerId,
      publish: (change) => this.#committed(change),
      route:
        this.#options.router === undefined
          ? undefined
          : (name, payload, at) => this.#options.router?.route(name, payload, at),
      onError: this.#onError,
    });
    return this.#scheduler;
  }

  store(): Promise<TaskStore> {
    this.#store ??= this.#openStore().catch((error) => {
      this.#store = undefined;
      throw error;
    });
    return this.#store;
  }

  async #openStore(): Promise<TaskStore> {
    const store =
      this.#options.store ??
      (this.config.store.kind === 'postgres'
        ? await createPostgresStore({
            connectionString: this.config.store.connectionString,
            poolSize: this.config.store.poolSize,
          })
        : await createPgliteStore({ dataDir: this.config.store.dataDir }));
    await store.migrate();
    if (this.config.telemetry.queryEvents && this.#options.router !== undefined) {
      const router = this.#options.router;
      const threshold = this.config.telemetry.slowOperationThresholdMs;
      store.observeQueries((q) => {
        const at = Date.now();
        router.route(
          'database.query_executed',
          { operation: q.name, durationMs: q.durationMs, rowCount: q.rowCount },
          at,
        );
        if (q.durationMs > threshold) {
          router.route(
            'performance.slow_operation',
            { operation: q.name, durationMs: q.durationMs, thresholdMs: threshold },
            at,
          );
        }
      });
    }
    if (this.#options.clock === undefined) {
      const synced = createSyncedClock(() => store.databaseNow(), {
        maxRoundTripMs: this.config.engine.clockMaxRoundTripMs,
      });
      await synced.sync();
      this.#clock = synced;
      this.#synced = synced;
    } else this.#clock = this.#options.clock;
    const clock = this.#clock;
    const presence = new Presence({
      store,
      clock,
      workerId: this.workerId,
      heartbeatIntervalMs: this.config.engine.heartbeatIntervalMs,
      beat: () => {
        const worker = this.#worker;
        const running = worker?.state === 'running';
        return {
          running,
          claimKeys: running ? this.#currentClaimKeys() : [],
          concurrency: running ? this.config.execution.concurrency : 0,
          inFlight: worker?.inFlight ?? 0,
        };
      },
      // Recovery needs the database's clock (to tell a dead process from a live one) and a
      // router to publish to.
      republish:
        this.#publisher.enabled && this.#options.clock === undefined
          ? (rows) => this.#publisher.republish(rows)
          : undefined,
      onError: this.#onError,
    });
    await presence.start();
    this.#presence = presence;
    return store;
  }

  /** What this engine's worker claims: recomputed when the registry changed. */
  #currentClaimKeys(): readonly string[] {
    const revision = this.registry.revision;
    const cached = this.#claimKeys;
    if (cached !== undefined && revision !== undefined && cached.revision === revision) return cached.keys;
    const keys = claimKeysFor(this.registry.list(), this.config.execution.queues);
    this.#claimKeys = { revision, keys };
    return keys;
  }

  /**
   * Runs a write and publishes its change, inside the publish ledger: should this process die
   * between the two, another one republishes the change's events (see `PublishLedger`).
   */
  async #write<T>(
    write: (store: TaskStore) => Promise<T>,
    changeOf: (result: T) => Change | readonly Change[],
  ): Promise<T> {
    const store = await this.store();
    const published = store.ledger.enter();
    try {
      const result = await write(store);
      const change = changeOf(result);
      if (Array.isArray(change)) for (const c of change) this.#committed(c);
      else this.#committed(change as Change);
      return result;
    } finally {
      published();
    }
  }

  #now(): number {
    return (this.#clock ?? this.#options.clock ?? { now: Date.now }).now();
  }

  #committed(change: Change): void {
    this.#publisher.publish(change);
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const input = this.#newTask(request);
    const { taskId, created } = await this.#write(
      (store) => store.createTask(input, this.#now()),
      (r) => r.change,
    );
    return { taskId, created };
  }

  submitMany(requests: readonly SubmitRequest[], options: SubmitManyOptions = {}): Promise<SubmitResult[]> {
    // One definition lookup per distinct task reference of the call.
    const definitions = new Map<string, TaskDefinition>();
    return submitMany(
      {
        prepare: (request) => this.#newTask(request, definitions),
        write: async (batch) => {
          const written = await this.#write(
            (store) => store.createTasks(batch, this.#now()),
            // Each task's change apart, so that its events are those of its own submit.
            (r) => r.tasks.map((t) => t.change),
          );
          return written.tasks.map(({ taskId, created }) => ({ taskId, created }));
        },
      },
      requests,
      options,
    );
  }

  /** A request validated against its definition, as the store's task (throws naming the field). */
  #newTask(request: SubmitRequest, definitions?: Map<string, TaskDefinition>): NewTask {
    const ref = { namespace: request.namespace, name: request.name, version: request.version };
    const key = JSON.stringify([ref.namespace, ref.name, ref.version]);
    let definition = definitions?.get(key);
    if (definition === undefined) {
      definition = this.registry.resolve(ref);
      definitions?.set(key, definition);
    }
    const traced =
      request.traceContext === undefined && this.#options.traceContext !== undefined
        ? this.#withTraceContext(request, definition)
        : request;
    const { identityStrategy, identityWindowMs, identityFields } = this.config.engine;
    return buildNewTask(
      definition,
      traced,
      {
        strategy: identityStrategy,
        windowMs: identityWindowMs,
        ...(identityFields === undefined ? {} : { fields: identityFields }),
      },
      hashIdentity,
    );
  }

  #withTraceContext(request: SubmitRequest, definition: TaskDefinition): SubmitRequest {
    const traceContext = this.#options.traceContext?.({
      namespace: definition.namespace,
      name: definition.name,
      version: definition.version,
    });
    return traceContext === undefined ? request : { ...request, traceContext };
  }

  async start(): Promise<void> {
    if (this.#stopped) {
      throw new TaskerError(
        'TASKER_STOPPED',
        'This Tasker was stopped and cannot start again: make a new one with createTasker() (its store may be reused)',
      );
    }
    if (this.#worker !== undefined) return;
    const store = await this.store();
    const clock = this.#clock as Clock;
    const synced = this.#synced;
    this.#worker = new Worker({
      store,
      clock,
      config: this.config,
      workerId: this.workerId,
      publisher: this.#publisher,
      onError: this.#onError,
      ...(synced === undefined ? {} : { resyncClock: () => synced.sync() }),
      clockErrorMs: this.#clockErrorMs,
      claimKeys: () => this.#currentClaimKeys(),
      execution: {
        findDefinition: (claim) =>
          this.registry.find({
            namespace: claim.task.namespace,
            name: claim.task.name,
            version: claim.task.version,
          }),
        handlers: this.#options.handlers ?? {},
        middleware: this.#options.middleware ?? [],
        backoff: { ...DEFAULT_BACKOFF, ...this.config.backoff },
        random: this.#options.random ?? Math.random,
        router: this.#options.router,
        now: () => clock.now(),
      },
    });
    await this.#worker.start();
    await this.#presence?.beatNow();
    if (retentionEnabled(this.config.retention)) {
      this.#sweeper = new RetentionSweeper(
        (stopping) => this.#sweep({}, stopping),
        this.config.retention.intervalMs,
        (error) => this.#onError(error, 'retention sweep'),
      );
      this.#sweeper.start(this.#options.random);
    }
    // The definitions' schedules are written even when this process fires none.
    const scheduler = this.#schedulerOf(store);
    await scheduler.syncCode();
    if (this.config.schedules.enabled) scheduler.start();
  }

  runRetention(options: { dryRun?: boolean } = {}): Promise<RetentionRunResult> {
    return this.#sweep(options, () => this.#stopped);
  }

  async retentionRuns(limit = 10): Promise<RetentionRunRecord[]> {
    return (await this.store()).retention.recent(limit);
  }

  async #sweep(options: { dryRun?: boolean }, stopping: () => boolean): Promise<RetentionRunResult> {
    const store = await this.store();
    const result = await runRetention(store, this.config.retention, {
      ...options,
      now: () => this.#now(),
      workerId: this.workerId,
      stopping,
    });
    if (result.skipped === undefined) {
      const { byRule: _, ...figures } = result;
      this.#options.router?.route(
        RETENTION_SWEPT_EVENT.name,
        { ...figures, workerId: this.workerId },
        result.finishedAt,
      );
    }
    return result;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#sweeper?.stop();
    await this.#scheduler?.stop();
    const worker = this.#worker;
    if (worker !== undefined) await worker.stop();
    await this.#presence?.stop();
    if (this.#options.store === undefined && this.#store !== undefined) {
      const store = await this.#store.catch(() => undefined);
      await store?.close();
      this.#store = undefined;
    }
  }

  /**
   * Waits on the task's own notification ({@link TaskStore.watchTask}): in-process when this
   * process's store finished it, NOTIFY when another did. Each wake-up reads one row, the task's
   * state; the task with its steps and transitions is read once, when it has finished. A
   * notification that never comes (a dropped connection, a commit whose NOTIFY failed) costs at
   * most `engine.pollIntervalMs`: the state is read again after that long without one.
   */
  async waitFor(taskId: string, options: { timeoutMs?: number } = {}): Promise<TaskDetails> {
    const store = await this.store();
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    let woken = false;
    let wake: (() => void) | undefined;
    const unwatch = await store.watchTask(taskId, () => {
      woken = true;
      wake?.();
    });
    try {
      for (;;) {
        woken = false;
        const state = await store.taskState(taskId);
        if (state === undefined) throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
        if (WAIT_END_STATES.has(state)) {
          const task = await store.getTask(taskId);
          if (task === undefined) throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
          return task;
        }
        const left = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
        if (left <= 0) {
          throw new TaskerError(
            'WAIT_TIMEOUT',
            `Task ${taskId} is still ${state} after ${options.timeoutMs} ms`,
          );
        }
        // A notification that came during the read has set `woken`: read again at once.
        if (woken) continue;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, Math.min(this.config.engine.pollIntervalMs, left));
        });
        wake = undefined;
        clearTimeout(timer);
      }
    } finally {
      unwatch();
    }
  }

  async cancel(taskId: string, options: ManualOptions = {}): Promise<void> {
    await this.#write((store) => store.cancelTask(taskId, this.#now(), options), same);
  }

  async updateTask(taskId: string, changes: Parameters<Tasker['updateTask']>[1]): Promise<void> {
    if (!(await (await this.store()).updateTask(taskId, changes, this.#now()))) {
      throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
    }
  }

  async retryStep(stepId: string, options: ManualOptions = {}): Promise<void> {
    await this.#write((store) => store.retryStep(stepId, this.#now(), options), same);
  }

  async resolveStepManually(
    stepId: string,
    options: ManualOptions & { result?: unknown } = {},
  ): Promise<void> {
    await this.#write((store) => store.resolveStep(stepId, this.#now(), options), same);
  }

  async cancelStep(stepId: string, options: ManualOptions = {}): Promise<void> {
    await this.#write((store) => store.cancelStep(stepId, this.#now(), options), same);
  }

  async updateStep(stepId: string, changes: { retryLimit?: number; inputs?: unknown }): Promise<void> {
    if (
      changes.retryLimit !== undefined &&
      (!Number.isInteger(changes.retryLimit) || changes.retryLimit < 0)
    ) {
      throw new TaskerError(
        'SUBMIT_INVALID',
        `retryLimit: expected an integer ≥ 0, received ${changes.retryLimit}`,
      );
    }
    if (!(await (await this.store()).updateStep(stepId, changes))) {
      throw new TaskerError('STEP_NOT_FOUND', `No step with id "${stepId}"`);
    }
  }

  /**
   * A task with its steps and transitions. A ready step that no live worker can run carries a
   * `waitingReason` (one more read, of the worker registry, when the task has ready steps).
   */
  async getTask(taskId: string, options: { maxBytes?: number } = {}): Promise<TaskDetails | undefined> {
    const store = await this.store();
    const task = await store.getTask(taskId, options);
    if (task === undefined || readySteps(task).length === 0) return task;
    const now = this.#now();
    const parkedKeys = task.steps.flatMap((s) =>
      s.hold === 'concurrency' && s.concurrency !== undefined ? [s.concurrency.key] : [],
    );
    const [workers, running] = await Promise.all([
      store.registry.recent(now, WORKER_WINDOW_MS),
      store.insights.runningByConcurrencyKey(parkedKeys),
    ]);
    return withWaitingReasons(task, workers, now, running);
  }

  /** The processes of the worker registry seen within `windowMs` (default a minute), newest first. */
  async workers(windowMs = WORKER_WINDOW_MS): Promise<WorkerRecord[]> {
    return (await this.store()).registry.recent(this.#now(), windowMs);
  }

  async listTasks(filter?: TaskFilter): Promise<TaskPage> {
    return (await this.store()).listTasks(filter);
  }

  stats(): TaskerStats {
    const synced = this.#synced;
    return {
      completed: this.#worker?.completed ?? 0,
      inFlight: this.#worker?.inFlight ?? 0,
      state: this.#worker?.state ?? 'idle',
      ...(this.#worker === undefined ? {} : { loopAt: this.#worker.lastLoopAt }),
      ...(synced === undefined
        ? {}
        : { clock: { offsetMs: synced.offsetMs, errorBoundMs: synced.errorBoundMs } }),
    };
  }
}

const same = (change: Change): Change => change;

/** How far back `workers()` and waiting reasons look in the registry (ms). */
const WORKER_WINDOW_MS = 60_000;

function hashIdentity(parts: unknown): string {
  return createHash('sha256').update(stableJson(parts)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
