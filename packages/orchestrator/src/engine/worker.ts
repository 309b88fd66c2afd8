/**
 * The worker loop of one process. Its states:
 *
 * - `idle` (made, not started) → `running` by `start()`;
 * - `running`: claim up to `min(free slots, batchSize)` ready steps, start each, and when
 *   nothing more is ready sleep until woken (see below) or the poll interval;
 * - `stopping` by `stop()`: claim nothing more, wait for in-flight steps up to the shutdown
 *   deadline, then abort the rest and, once their handlers returned, give up their leases
 *   (another worker takes them at once);
 * - `stopped`.
 *
 * A tick (every `tickIntervalMs`) aborts steps past their timeout and renews the leases of
 * running steps (see {@link leaseTiming}); a step whose lease was lost (or that was cancelled)
 * is aborted, and so is one whose lease could not be renewed in time, before any other worker
 * may take it over.
 *
 * A step's slot frees as soon as its handler returns. Its outcome is queued and written by one
 * statement together with every outcome that arrived in the same turn of the event loop or
 * while the previous write ran (its lease is renewed until then), so the next claim overlaps
 * the write. Outcomes waiting beyond one slot's worth each hold claims back.
 *
 * Wake-ups: the store reports, in-process, every commit of this process that made steps
 * ready or scheduled a retry; LISTEN reports those of other processes; a slot freed while the
 * last claim was cut short by the limit wakes the loop too. An idle loop also wakes when the
 * next step becomes claimable as its last claim saw it (a retry falling due, a lease
 * expiring), and at least once per lease. Polling is the fallback. Nothing here leaks a
 * rejection: errors go to `onError` and the loop carries on (the store already retried
 * transient ones).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskerConfig } from '../config/config-schema';
import type { ClaimedStep, TransitionRecord } from '../store/records';
import type { StepOutcome, TaskStore } from '../store/task-store';
import { isTransientDatabaseError } from '../store/transient-errors';
import type { Clock } from './clock';
import type { EventPublisher } from './event-publisher';
import { type LeaseTiming, leaseTiming } from './lease-timing';
import { type ExecutionDeps, executeStep, StepAbort } from './step-execution';

interface InFlight {
  readonly claim: ClaimedStep;
  readonly controller: AbortController;
  readonly deadline: number | undefined;
  /** When the lease this worker last set expires, on the engine's clock (`$now + leaseMs`). */
  leaseExpiresAt: number;
  /**
   * Called once the handler has returned (the step left `inFlight`). Set only when a later
   * attempt of the same step waits for this one (rare: most steps never need it).
   */
  onFinished: (() => void) | undefined;
}

interface QueuedOutcome {
  readonly outcome: StepOutcome;
  readonly done: () => void;
}

/** What the worker needs from the engine. */
export interface WorkerDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly config: TaskerConfig;
  readonly workerId: string;
  readonly publisher: EventPublisher;
  readonly execution: ExecutionDeps;
  readonly onError: (error: unknown, during: string) => void;
  /** Re-measures the clock (a database clock); called every `engine.clockSyncIntervalMs`. */
  readonly resyncClock?: () => Promise<unknown>;
  /** How wrong any worker's clock may be (ms): 0 for an injected clock. */
  readonly clockErrorMs: number;
  /** The claim keys of what this worker can run (see `claimKeysFor`). */
  readonly claimKeys: () => readonly string[];
}

export class Worker {
  readonly #d: WorkerDeps;
  /** Steps whose handler runs: each takes one of `execution.concurrency` slots. */
  readonly #inFlight = new Map<string, InFlight>();
  /** Steps whose handler returned, while their outcome is written (their leases are renewed). */
  readonly #settling = new Map<string, InFlight>();
  readonly #queue: QueuedOutcome[] = [];
  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  #wake: (() => void) | undefined;
  #woken = false;
  /** The last claim was cut short by the concurrency limit: a freed slot may have work. */
  #full = false;
  /** When the next step becomes claimable, as the last claim saw it. */
  #nextReadyAt: number | undefined;
  #loop: Promise<void> | undefined;
  #tick: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #unwatch: (() => void) | undefined;
  #unwatchStopped: (() => void) | undefined;
  #flushing: Promise<void> | undefined;
  #renewing = false;
  #lastRenewAt = 0;
  #lastSyncAt = performance.now();
  readonly #lease: LeaseTiming;
  #lastLoopAt = Date.now();
  #completed = 0;
  /** Claims that failed in a row (the database is away): the loop backs off. */
  #claimFailures = 0;
  /** Steps whose handler stopped because this worker is stopping: their leases are given up. */
  readonly #abandoned: { id: string; token: number }[] = [];

  constructor(deps: WorkerDeps) {
    this.#d = deps;
    const { leaseMs, tickIntervalMs } = deps.config.engine;
    this.#lease = leaseTiming(leaseMs, tickIntervalMs, deps.clockErrorMs);
  }

  get state(): string {
    return this.#state;
  }

  /** Steps this worker has completed (settled as complete) since start. */
  get completed(): number {
    return this.#completed;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Wall-clock time of the last loop turn, for health checks. */
  get lastLoopAt(): number {
    return this.#lastLoopAt;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    // Steps made ready by this process's store wake the loop in-process; LISTEN adds those
    // made ready elsewhere.
    this.#unwatch = this.#d.store.watchReady(() => this.wake());
    // A step cancelled or resolved by hand while it runs here is aborted at once; the lease
    // renewal, which finds it no longer held, is the fallback.
    this.#unwatchStopped = await this.#d.store.watchStopped((ids) => this.#abortStopped(ids));
    if (this.#d.config.engine.listen) {
      try {
        this.#unlisten = await this.#d.store.listen(
          () => this.wake(),
          () => this.wake(),
        );
      } catch (error) {
        this.#d.onError(error, 'listen (polling continues)');
      }
    }
    this.#tick = setInterval(() => this.#onTick(), this.#d.config.engine.tickIntervalMs);
    this.#tick.unref();
    this.#loop = this.#run();
  }

  /** Wakes the loop now (a step became ready, a slot freed). */
  wake(): void {
    this.#woken = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      await this.#loop;
      return;
    }
    this.#state = 'stopping';
    this.wake();
    await this.#loop;
    const deadline = Date.now() + this.#d.config.engine.shutdownTimeoutMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline)
      await sleep(Math.min(20, this.#d.config.engine.tickIntervalMs));
    for (const f of this.#inFlight.values())
      f.controller.abort(new StepAbort('shutdown', 'the worker is stopping'));
    while (this.#inFlight.size > 0) await sleep(5);
    while (this.#flushing !== undefined) await this.#flushing;
    // The handlers stopped have returned: their steps are free for another worker at once,
    // rather than when their leases expire.
    if (this.#abandoned.length > 0) {
      await this.#d.store
        .releaseLeases(this.#abandoned.splice(0), this.#d.clock.now())
        .catch((error) => this.#d.onError(error, 'release leases (they expire instead)'));
    }
    if (this.#tick !== undefined) clearInterval(this.#tick);
    this.#unwatch?.();
    this.#unwatchStopped?.();
    await this.#unlisten?.().catch(() => {});
    this.#state = 'stopped';
  }

  async #run(): Promise<void> {
    const { engine, execution } = this.#d.config;
    while (this.#state === 'running') {
      this.#lastLoopAt = Date.now();
      this.#woken = false;
      // Outcomes waiting to be written do not take slots, up to one slot's worth each; past
      // that, a slow database holds back new claims.
      const backlog = Math.max(0, this.#settling.size - execution.concurrency);
      const free = execution.concurrency - this.#inFlight.size - backlog;
      const want = Math.max(0, Math.min(free, engine.batchSize));
      let got = 0;
      if (want === 0) this.#full = true;
      else {
        try {
          const claimNow = this.#d.clock.now();
          const published = this.#d.store.ledger.enter();
          try {
            const claimed = await this.#d.store.claimReady(
              this.#d.workerId,
              claimNow,
              want,
              engine.leaseMs,
              this.#d.claimKeys(),
              engine.priorityAgingMs,
            );
            got = claimed.steps.length;
            for (const c of claimed.steps) this.#begin(c, claimNow + engine.leaseMs);
            this.#full = got === want && want === free;
            this.#nextReadyAt = claimed.nextReadyAt;
          } finally {
            published();
          }
          this.#claimFailures = 0;
        } catch (error) {
          // The database is away (the store reported it as transient): claim again after a
          // backoff, with a fresh time. Anything else is the caller's to see.
          this.#claimFailures++;
          if (!isTransientDatabaseError(error)) this.#d.onError(error, 'claim');
        }
      }
      if (got > 0 && got === want) continue;
      if (this.#woken && this.#claimFailures === 0) continue;
      const sleepMs =
        this.#claimFailures === 0
          ? this.#sleepMs()
          : Math.min(engine.pollIntervalMs, 50 * 2 ** Math.min(this.#claimFailures, 10));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleepMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * How long an idle loop sleeps: until the next step becomes claimable as the last claim saw
   * it (a retry falling due, a lease expiring), and never longer than the poll interval or a
   * lease (so that a lease that expires unseen, say one claimed by a concurrent claim that the
   * last claim skipped, is taken over within a lease of its expiry whatever the poll).
   */
  #sleepMs(): number {
    const { pollIntervalMs, leaseMs } = this.#d.config.engine;
    const cap = Math.min(pollIntervalMs, leaseMs);
    if (this.#nextReadyAt === undefined) return cap;
    return Math.max(1, Math.min(cap, this.#nextReadyAt - this.#d.clock.now()));
  }

  #begin(claim: ClaimedStep, leaseExpiresAt: number): void {
    const now = claim.claimedAt;
    const base = {
      kind: 'step',
      task: claim.task,
      stepId: claim.id,
      stepName: claim.name,
      attempt: claim.attempt,
      retryLimit: claim.retryLimit,
      at: now,
    } as const;
    const ids = claim.transitionIds;
    const transitions: TransitionRecord[] =
      claim.fromState === 'in_progress'
        ? [
            { ...base, from: 'in_progress', to: 'pending', reason: 'lease_expired', id: ids[0] },
            { ...base, from: 'pending', to: 'in_progress', id: ids[1] },
          ]
        : [{ ...base, from: claim.fromState, to: 'in_progress', id: ids[0] }];
    this.#d.publisher.publish({ transitions, ready: [] });
    // A claim whose reply came back too late to run safely (its lease is already in the window
    // where a handler must stop) is not started: the lease expires and a later claim takes it.
    if (this.#d.clock.now() >= leaseExpiresAt - this.#lease.abortBeforeExpiryMs) return;
    const timeoutMs = claim.timeoutMs ?? this.#d.config.execution.defaultTimeoutMs;
    const entry: InFlight = {
      claim,
      controller: new AbortController(),
      deadline: timeoutMs === undefined ? undefined : this.#d.clock.now() + timeoutMs,
      leaseExpiresAt,
      onFinished: undefined,
    };
    // This process claimed the step again while an earlier attempt of it still runs here (that
    // attempt lost its lease): the earlier one is stopped, and the new one starts only once it
    // has returned, so that the two never overlap.
    const previous = this.#inFlight.get(claim.id);
    this.#inFlight.set(claim.id, entry);
    if (previous === undefined) void this.#execute(entry);
    else {
      previous.controller.abort(new StepAbort('lost', `step "${claim.name}" was claimed again`));
      previous.onFinished = () => void this.#execute(entry);
    }
  }

  async #execute(entry: InFlight): Promise<void> {
    const id = entry.claim.id;
    let outcome: StepOutcome | undefined;
    try {
      outcome = await executeStep(entry.claim, entry.controller.signal, this.#d.execution, (info) =>
        this.#d.publisher.handling(
          {
            task: entry.claim.task,
            stepId: info.stepId,
            stepName: info.stepName,
            attempt: info.attempt,
            retryLimit: info.retryLimit,
          },
          this.#d.clock.now(),
          entry.claim.transitionIds[entry.claim.transitionIds.length - 1],
        ),
      );
    } catch (error) {
      this.#d.onError(error, `step ${entry.claim.name}`);
    }
    if (
      outcome === undefined &&
      (entry.controller.signal.reason as StepAbort | undefined)?.kind === 'shutdown'
    )
      this.#abandoned.push({ id, token: entry.claim.token });
    // The slot is free as soon as the handler returned: the next claim overlaps the write.
    // (A later attempt of the same step may hold the entry already: only this one's is removed.)
    if (this.#inFlight.get(id) === entry) this.#inFlight.delete(id);
    entry.onFinished?.();
    if (outcome !== undefined) this.#settling.set(id, entry);
    this.#slotFreed();
    if (outcome === undefined) return;
    try {
      await this.#settle(outcome);
    } finally {
      if (this.#settling.get(id) === entry) this.#settling.delete(id);
      this.#slotFreed();
    }
  }

  /**
   * A freed slot is worth a claim only when the last one was cut short by the limit;
   * otherwise nothing more was ready then, and whatever became ready since wakes the loop
   * itself (a settle here, a NOTIFY from elsewhere, or the poll).
   */
  #slotFreed(): void {
    if (this.#full) this.wake();
  }

  /** Queues an outcome; resolves once it is written (or its write failed for good). */
  #settle(outcome: StepOutcome): Promise<void> {
    return new Promise<void>((done) => {
      this.#queue.push({ outcome, done });
      this.#scheduleFlush();
    });
  }

  /**
   * Starts a write of every queued outcome unless one runs. It waits one turn of the event
   * loop first, so that handlers finishing together are written by one statement.
   */
  #scheduleFlush(): void {
    if (this.#flushing !== undefined) return;
    this.#flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.#flush())
      .finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length > 0) this.#scheduleFlush();
      });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#queue.length);
      const published = this.#d.store.ledger.enter();
      try {
        const { change } = await this.#d.store.settle(
          batch.map((q) => q.outcome),
          this.#d.clock.now(),
        );
        for (const t of change.transitions) if (t.kind === 'step' && t.to === 'complete') this.#completed++;
        this.#d.publisher.publish(change);
      } catch (error) {
        // The outcomes are lost; the steps' leases expire and another attempt runs them.
        this.#d.onError(error, 'settle');
      } finally {
        published();
        for (const q of batch) q.done();
      }
    }
  }

  #abortStopped(stepIds: readonly string[]): void {
    for (const id of stepIds) {
      const f = this.#inFlight.get(id);
      if (f !== undefined && !f.controller.signal.aborted)
        f.controller.abort(new StepAbort('lost', `step "${f.claim.name}" was cancelled or resolved by hand`));
    }
  }

  #onTick(): void {
    const now = this.#d.clock.now();
    for (const f of this.#inFlight.values()) {
      if (f.deadline !== undefined && now >= f.deadline && !f.controller.signal.aborted) {
        f.controller.abort(
          new StepAbort(
            'timeout',
            `step "${f.claim.name}" timed out after ${f.claim.timeoutMs ?? this.#d.config.execution.defaultTimeoutMs} ms`,
          ),
        );
      }
    }
    // A lease that could not be renewed in time (the database is unreachable, say): the
    // handler stops before another worker may take the step over (see leaseTiming).
    for (const f of this.#inFlight.values()) {
      if (now >= f.leaseExpiresAt - this.#lease.abortBeforeExpiryMs && !f.controller.signal.aborted) {
        f.controller.abort(
          new StepAbort(
            'lost',
            `step "${f.claim.name}" stopped: its lease could not be renewed before another worker may take it over`,
          ),
        );
      }
    }
    const { leaseMs } = this.#d.config.engine;
    const holding = this.#inFlight.size + this.#settling.size;
    if (!this.#renewing && holding > 0 && now - this.#lastRenewAt >= this.#lease.renewEveryMs) {
      this.#renewing = true;
      this.#lastRenewAt = now;
      const held = [...this.#inFlight.values(), ...this.#settling.values()].filter(
        (f) => !f.controller.signal.aborted,
      );
      this.#d.store
        .renewLeases(
          held.map((f) => ({ id: f.claim.id, token: f.claim.token })),
          now,
          leaseMs,
        )
        .then((kept) => {
          for (const f of held) {
            if (kept.has(f.claim.id)) f.leaseExpiresAt = now + leaseMs;
            else if (this.#inFlight.get(f.claim.id) === f) {
              f.controller.abort(
                new StepAbort('lost', `step "${f.claim.name}" was cancelled, resolved or taken over`),
              );
            }
          }
        })
        .catch((error) => this.#d.onError(error, 'renew leases'))
        .finally(() => {
          this.#renewing = false;
        });
    }
    const syncEvery = this.#d.config.engine.clockSyncIntervalMs;
    if (this.#d.resyncClock !== undefined && performance.now() - this.#lastSyncAt > syncEvery) {
      this.#lastSyncAt = performance.now();
      this.#d.resyncClock().catch((error) => this.#d.onError(error, 'clock sync'));
    }
  }
}
