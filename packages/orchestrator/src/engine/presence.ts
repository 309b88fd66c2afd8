/**
 * This process in the worker registry: registered when the engine opens its store, a heartbeat
 * every `engine.heartbeatIntervalMs` (alive, what it claims, how far its events are published),
 * and a clean stop. A process with a router also recovers the events of processes that died:
 * on each beat it takes at most one dead process (silent for three of its intervals, and at
 * least {@link DEAD_AFTER_MS}) and republishes its transitions after its watermark.
 *
 * Nothing here throws into the engine: errors go to `onError` and the next beat tries again.
 */
import { hostname } from 'node:os';
import type { TaskStore, WorkerBeat } from '../store/task-store';
import type { Clock } from './clock';

/** A process silent this long (and three of its heartbeat intervals) is taken for dead (ms). */
export const DEAD_AFTER_MS = 3_000;

/** Registry rows of processes gone for this long, with nothing left to recover, are deleted (ms). */
const FORGET_AFTER_MS = 24 * 3_600_000;

/** Pruning runs once per this many beats. */
const PRUNE_EVERY_BEATS = 600;

export interface PresenceDeps {
  readonly store: TaskStore;
  readonly clock: Clock;
  readonly workerId: string;
  readonly heartbeatIntervalMs: number;
  /** What the heartbeat reports. */
  readonly beat: () => WorkerBeat;
  /** Republishes a dead process's transitions (rows of `unpublishedTransitions`); none without a router. */
  readonly republish: ((rows: readonly Record<string, unknown>[]) => void) | undefined;
  readonly onError: (error: unknown, during: string) => void;
}

export class Presence {
  readonly #d: PresenceDeps;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #beats = 0;
  #stopped = false;
  /** Its number in the registry, once registered. */
  #seq: number | undefined;

  constructor(deps: PresenceDeps) {
    this.#d = deps;
  }

  /** Registers this process and starts its heartbeat. */
  async start(): Promise<void> {
    this.#seq = await this.#d.store.registry.register({
      workerId: this.#d.workerId,
      hostname: hostname(),
      pid: process.pid,
      now: this.#d.clock.now(),
      heartbeatEveryMs: this.#d.heartbeatIntervalMs,
      publishes: this.#d.republish !== undefined,
    });
    if (this.#stopped) return;
    this.#timer = setInterval(() => void this.beatNow(), this.#d.heartbeatIntervalMs);
    this.#timer.unref();
  }

  /**
   * A heartbeat now (a worker started or stopped: the registry shows it at once). Waits for a
   * beat already under way instead of running two.
   */
  beatNow(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
    });
    return this.#beating;
  }

  async #beat(): Promise<void> {
    const { store, clock } = this.#d;
    if (this.#seq === undefined) return;
    if (store.closed) {
      // The store was closed under an engine that was never stopped: it beats no more.
      if (this.#timer !== undefined) clearInterval(this.#timer);
      return;
    }
    try {
      await store.registry.heartbeat(this.#seq, clock.now(), this.#d.beat());
    } catch (error) {
      this.#d.onError(error, 'heartbeat');
      return;
    }
    const republish = this.#d.republish;
    if (republish !== undefined) {
      try {
        await store.registry.recoverDeadWriter(clock.now(), DEAD_AFTER_MS, (_dead, rows) => republish(rows));
      } catch (error) {
        this.#d.onError(error, 'recover events of a dead process');
      }
    }
    if (++this.#beats % PRUNE_EVERY_BEATS === 0) {
      await store.registry
        .prune(clock.now(), FORGET_AFTER_MS)
        .catch((error) => this.#d.onError(error, 'prune'));
    }
  }

  /** Stops the heartbeat and records a clean stop (every event of this process is published). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#beating;
    if (this.#seq === undefined) return;
    await this.#d.store.registry
      .stop(this.#seq, this.#d.clock.now())
      .catch((error) => this.#d.onError(error, 'stop'));
  }
}
