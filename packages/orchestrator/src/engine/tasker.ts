/**
 * `createTasker`: the engine's public face. It validates its configuration and definitions at
 * once, opens the store lazily (PGlite in memory unless told otherwise), runs the worker loop
 * between `start()` and `stop()`, and publishes every committed change's events.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { EventRouter, TraceContext } from '@tasker/router';
import { parseConfig, type TaskerConfig, type TaskerConfigInput } from '../config/config-schema';
import type { TaskDefinition } from '../definitions/define-task';
import { TaskerError } from '../errors';
import type { HandlerMap } from '../handlers/step-handler';
import { createTaskRegistry, type TaskRegistry } from '../registry/task-registry';
import { createPgliteStore, createPostgresStore } from '../store/create-store';
import type { ManualOptions } from '../store/manual-operations';
import type { Change, JsonValue, TaskDetails, TaskRecord } from '../store/records';
import type { TaskFilter } from '../store/task-reads';
import type { TaskStore } from '../store/task-store';
import { DEFAULT_BACKOFF } from './backoff';
import { type Clock, createSyncedClock, type SyncedClock } from './clock';
import { EventPublisher } from './event-publisher';
import type { StepMiddleware } from './middleware';
import { buildNewTask, type SubmitRequest } from './submit';
import { leaseTiming, Worker } from './worker';

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
  getTask(taskId: string): Promise<TaskDetails | undefined>;
  listTasks(filter?: TaskFilter): Promise<{ tasks: TaskRecord[]; total: number }>;
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
  /** The database clock: absent with an injected clock or before the store is open. */
  readonly clock?: { readonly offsetMs: number; readonly errorBoundMs: number };
}

const SETTLED = new Set(['complete', 'error', 'cancelled', 'resolved_manually']);

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
  readonly #waiters = new Map<string, Set<() => void>>();
  #store: Promise<TaskStore> | undefined;
  #clock: Clock | undefined;
  #synced: SyncedClock | undefined;
  /** `stop()` was called: the worker, the clock's source and an owned store are gone for good. */
  #stopped = false;
  #worker: Worker | undefined;
  readonly #onError: (error: unknown, during: string) => void;

  constructor(options: TaskerOptions) {
    this.#options = options;
    this.config = parseConfig(options.config);
    // The lease must leave room for renewals before a handler is stopped (throws CONFIG_INVALID).
    const { leaseMs, tickIntervalMs, clockMaxRoundTripMs } = this.config.engine;
    leaseTiming(leaseMs, tickIntervalMs, options.clock === undefined ? clockMaxRoundTripMs / 2 : 0);
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
    return store;
  }

  #now(): number {
    return (this.#clock ?? this.#options.clock ?? { now: Date.now }).now();
  }

  #committed(change: Change): void {
    this.#publisher.publish(change);
    this.#onChange(change);
  }

  #onChange(change: Change): void {
    for (const t of change.transitions) {
      if (t.kind !== 'task') continue;
      const waiters = this.#waiters.get(t.task.id);
      if (waiters !== undefined) for (const w of waiters) w();
    }
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const definition = this.registry.resolve({
      namespace: request.namespace,
      name: request.name,
      version: request.version,
    });
    const traced =
      request.traceContext === undefined && this.#options.traceContext !== undefined
        ? this.#withTraceContext(request, definition)
        : request;
    const input = buildNewTask(definition, traced, this.config.engine.identityStrategy, hashIdentity);
    const store = await this.store();
    const { taskId, created, change } = await store.createTask(input, this.#now());
    this.#committed(change);
    return { taskId, created };
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
    this.#worker = new Worker({
      store,
      clock,
      config: this.config,
      workerId: this.workerId,
      publisher: this.#publisher,
      onChange: (change) => this.#onChange(change),
      onError: this.#onError,
      ...(this.#options.clock === undefined
        ? { resyncClock: () => (clock as ReturnType<typeof createSyncedClock>).sync() }
        : {}),
      clockErrorMs: this.#options.clock === undefined ? this.config.engine.clockMaxRoundTripMs / 2 : 0,
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
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const worker = this.#worker;
    if (worker !== undefined) await worker.stop();
    if (this.#options.store === undefined && this.#store !== undefined) {
      const store = await this.#store.catch(() => undefined);
      await store?.close();
      this.#store = undefined;
    }
  }

  async waitFor(taskId: string, options: { timeoutMs?: number } = {}): Promise<TaskDetails> {
    const store = await this.store();
    const started = Date.now();
    for (;;) {
      let signal: (() => void) | undefined;
      const changed = new Promise<void>((resolve) => {
        signal = resolve;
      });
      const set = this.#waiters.get(taskId) ?? new Set();
      set.add(signal as () => void);
      this.#waiters.set(taskId, set);
      try {
        const task = await store.getTask(taskId);
        if (task === undefined) throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
        if (SETTLED.has(task.state)) return task;
        if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
          throw new TaskerError(
            'WAIT_TIMEOUT',
            `Task ${taskId} is still ${task.state} after ${options.timeoutMs} ms`,
          );
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          changed,
          new Promise<void>((r) => {
            timer = setTimeout(r, this.config.engine.pollIntervalMs);
          }),
        ]);
        clearTimeout(timer);
      } finally {
        set.delete(signal as () => void);
        if (set.size === 0) this.#waiters.delete(taskId);
      }
    }
  }

  async cancel(taskId: string, options: ManualOptions = {}): Promise<void> {
    this.#committed(await (await this.store()).cancelTask(taskId, this.#now(), options));
  }

  async updateTask(taskId: string, changes: Parameters<Tasker['updateTask']>[1]): Promise<void> {
    if (!(await (await this.store()).updateTask(taskId, changes, this.#now()))) {
      throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
    }
  }

  async retryStep(stepId: string, options: ManualOptions = {}): Promise<void> {
    this.#committed(await (await this.store()).retryStep(stepId, this.#now(), options));
  }

  async resolveStepManually(
    stepId: string,
    options: ManualOptions & { result?: unknown } = {},
  ): Promise<void> {
    this.#committed(await (await this.store()).resolveStep(stepId, this.#now(), options));
  }

  async cancelStep(stepId: string, options: ManualOptions = {}): Promise<void> {
    this.#committed(await (await this.store()).cancelStep(stepId, this.#now(), options));
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

  async getTask(taskId: string): Promise<TaskDetails | undefined> {
    return (await this.store()).getTask(taskId);
  }

  async listTasks(filter?: TaskFilter): Promise<{ tasks: TaskRecord[]; total: number }> {
    return (await this.store()).listTasks(filter);
  }

  stats(): TaskerStats {
    const synced = this.#synced;
    return {
      completed: this.#worker?.completed ?? 0,
      inFlight: this.#worker?.inFlight ?? 0,
      state: this.#worker?.state ?? 'idle',
      ...(synced === undefined
        ? {}
        : { clock: { offsetMs: synced.offsetMs, errorBoundMs: synced.errorBoundMs } }),
    };
  }
}

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
