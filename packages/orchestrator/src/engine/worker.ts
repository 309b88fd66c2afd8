/**
 * The worker loop of one process. Its states:
 *
 * - `idle` (made, not started) → `running` by `start()`;
 * - `running`: claim up to `min(free slots, batchSize)` ready steps, start each, and when
 *   nothing more is ready sleep until a NOTIFY, a freed slot, or the poll interval;
 * - `stopping` by `stop()`: claim nothing more, wait for in-flight steps up to the shutdown
 *   deadline, then abort the rest (their leases expire and another worker takes them);
 * - `stopped`.
 *
 * A tick (every `tickIntervalMs`) aborts steps past their timeout and renews the leases of
 * running steps every third of the lease; a step whose lease was lost (or that was cancelled)
 * is aborted. Outcomes are written in batches: while one settle transaction runs, the next
 * outcomes queue and go together in the following one. Nothing here leaks a rejection: errors
 * go to `onError` and the loop carries on (the store already retried transient ones).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskerConfig } from '../config/config-schema';
import type { Change, ClaimedStep, TransitionRecord } from '../store/records';
import type { StepOutcome, TaskStore } from '../store/task-store';
import type { Clock } from './clock';
import type { EventPublisher } from './event-publisher';
import { type ExecutionDeps, executeStep, StepAbort } from './step-execution';

interface InFlight {
  readonly claim: ClaimedStep;
  readonly controller: AbortController;
  readonly deadline: number | undefined;
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
  readonly onChange: (change: Change) => void;
  readonly onError: (error: unknown, during: string) => void;
  /** Re-measures the clock (a database clock); called about once a minute. */
  readonly resyncClock?: () => Promise<void>;
}

export class Worker {
  readonly #d: WorkerDeps;
  readonly #inFlight = new Map<string, InFlight>();
  readonly #queue: QueuedOutcome[] = [];
  #state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  #wake: (() => void) | undefined;
  #woken = false;
  #loop: Promise<void> | undefined;
  #tick: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #flushing: Promise<void> | undefined;
  #renewing = false;
  #lastRenewAt = 0;
  #lastSyncAt = Date.now();
  #lastLoopAt = Date.now();
  #completed = 0;

  constructor(deps: WorkerDeps) {
    this.#d = deps;
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
    await this.#flushing;
    if (this.#tick !== undefined) clearInterval(this.#tick);
    await this.#unlisten?.().catch(() => {});
    this.#state = 'stopped';
  }

  async #run(): Promise<void> {
    const { engine, execution } = this.#d.config;
    while (this.#state === 'running') {
      this.#lastLoopAt = Date.now();
      this.#woken = false;
      const free = execution.concurrency - this.#inFlight.size;
      const want = Math.min(free, engine.batchSize);
      let got = 0;
      if (want > 0) {
        try {
          const claimed = await this.#d.store.claim(
            this.#d.workerId,
            this.#d.clock.now(),
            want,
            engine.leaseMs,
          );
          got = claimed.length;
          for (const c of claimed) this.#begin(c);
        } catch (error) {
          this.#d.onError(error, 'claim');
        }
      }
      if (got > 0 && got === want) continue;
      if (this.#woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, engine.pollIntervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  #begin(claim: ClaimedStep): void {
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
    const transitions: TransitionRecord[] =
      claim.fromState === 'in_progress'
        ? [
            { ...base, from: 'in_progress', to: 'pending', reason: 'lease_expired' },
            { ...base, from: 'pending', to: 'in_progress' },
          ]
        : [{ ...base, from: claim.fromState, to: 'in_progress' }];
    this.#d.publisher.publish({ transitions, ready: [] });
    const timeoutMs = claim.timeoutMs ?? this.#d.config.execution.defaultTimeoutMs;
    const entry: InFlight = {
      claim,
      controller: new AbortController(),
      deadline: timeoutMs === undefined ? undefined : this.#d.clock.now() + timeoutMs,
    };
    this.#inFlight.set(claim.id, entry);
    void this.#execute(entry);
  }

  async #execute(entry: InFlight): Promise<void> {
    try {
      const outcome = await executeStep(entry.claim, entry.controller.signal, this.#d.execution, (info) =>
        this.#d.publisher.handling(
          {
            task: entry.claim.task,
            stepId: info.stepId,
            stepName: info.stepName,
            attempt: info.attempt,
            retryLimit: info.retryLimit,
          },
          this.#d.clock.now(),
        ),
      );
      if (outcome !== undefined) await this.#settle(outcome);
    } catch (error) {
      this.#d.onError(error, `step ${entry.claim.name}`);
    } finally {
      this.#inFlight.delete(entry.claim.id);
      this.wake();
    }
  }

  #settle(outcome: StepOutcome): Promise<void> {
    return new Promise<void>((done) => {
      this.#queue.push({ outcome, done });
      this.#flushing ??= this.#flush().finally(() => {
        this.#flushing = undefined;
      });
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#queue.length);
      try {
        const { change } = await this.#d.store.settle(
          batch.map((q) => q.outcome),
          this.#d.clock.now(),
        );
        for (const t of change.transitions) if (t.kind === 'step' && t.to === 'complete') this.#completed++;
        this.#d.publisher.publish(change);
        this.#d.onChange(change);
        if (change.ready.length > 0) this.wake();
      } catch (error) {
        // The outcomes are lost; the steps' leases expire and another attempt runs them.
        this.#d.onError(error, 'settle');
      } finally {
        for (const q of batch) q.done();
      }
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
    const { leaseMs } = this.#d.config.engine;
    if (!this.#renewing && this.#inFlight.size > 0 && now - this.#lastRenewAt >= leaseMs / 3) {
      this.#renewing = true;
      this.#lastRenewAt = now;
      const held = [...this.#inFlight.values()].filter((f) => !f.controller.signal.aborted);
      this.#d.store
        .renewLeases(
          held.map((f) => ({ id: f.claim.id, token: f.claim.token })),
          now,
          leaseMs,
        )
        .then((kept) => {
          for (const f of held) {
            if (!kept.has(f.claim.id) && this.#inFlight.get(f.claim.id) === f) {
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
    if (this.#d.resyncClock !== undefined && Date.now() - this.#lastSyncAt > 60_000) {
      this.#lastSyncAt = Date.now();
      this.#d.resyncClock().catch((error) => this.#d.onError(error, 'clock sync'));
    }
  }
}
