import type { RoutedEvent, RouterBackend } from './backend';
import type { BackendErrorContext } from './router-options';

/**
 * Delivery of routed events to backend plugins: error isolation, pending-promise tracking and
 * shedding by priority. The router decides where an event goes; this decides whether and how
 * it gets there.
 *
 * A backend name gets a slot the first time a mapping or an option names it, registered or
 * not, so the routes compiled by the router hold slots and never look a backend up by name.
 * Adding or removing a backend only fills or empties its slot.
 */

/** Counters of one backend name. */
export interface BackendStats {
  /** Events handed to the backend's `handle`. */
  readonly handled: number;
  /** Throws and rejections. */
  readonly errors: number;
  /** Events shed because too many promises were pending. */
  readonly dropped: number;
  /** Events whose mapping named this backend while no plugin was registered under it. */
  readonly unrouted: number;
  /** Promises returned by `handle` that have not settled. */
  readonly pending: number;
}

/** Priority levels, as compiled routes carry them. */
export const NORMAL = 0;
export const HIGH = 1;
export const CRITICAL = 2;
export const PRIORITY_LEVELS = { normal: NORMAL, high: HIGH, critical: CRITICAL } as const;

/** One backend name: its plugin, if registered, and its counters. */
export interface BackendSlot {
  readonly name: string;
  backend: RouterBackend | undefined;
  handled: number;
  errors: number;
  dropped: number;
  unrouted: number;
  pending: number;
  /** The first error of this backend was warned about. */
  warned: boolean;
  /** A delivery found no plugin under this name, and that was warned about. */
  warnedUnregistered: boolean;
  readonly settle: () => void;
}

export interface DeliveryOptions {
  readonly onError: ((error: unknown, context: BackendErrorContext) => void) | undefined;
  readonly warn: (message: string) => void;
  readonly normalLimit: number;
  readonly highLimit: number;
  /** What the warnings call a slot's plugin: `backend` (default) or `tap`. */
  readonly kind?: 'backend' | 'tap';
}

export class BackendDelivery {
  readonly #slots = new Map<string, BackendSlot>();
  readonly #onError: (error: unknown, context: BackendErrorContext) => void;
  readonly #warn: (message: string) => void;
  readonly #normalLimit: number;
  readonly #highLimit: number;
  readonly #kind: 'backend' | 'tap';
  #pendingTotal = 0;
  #drainWaiters: (() => void)[] = [];
  /** Throws and rejections, all backends. */
  errors = 0;
  /** Events shed under backpressure, all backends. */
  dropped = 0;
  /** Deliveries to names with no registered backend, all names. */
  unrouted = 0;

  constructor(options: DeliveryOptions) {
    this.#warn = options.warn;
    this.#onError = options.onError ?? ((error, context) => this.#warnOnce(error, context));
    this.#normalLimit = options.normalLimit;
    this.#highLimit = options.highLimit;
    this.#kind = options.kind ?? 'backend';
  }

  /** The slot of backend name `name`, made on first use. */
  slot(name: string): BackendSlot {
    return this.#slots.get(name) ?? this.fresh(name);
  }

  /** A new slot for `name`, with zeroed counters, in place of any earlier one. */
  fresh(name: string): BackendSlot {
    const made: BackendSlot = {
      name,
      backend: undefined,
      handled: 0,
      errors: 0,
      dropped: 0,
      unrouted: 0,
      pending: 0,
      warned: false,
      warnedUnregistered: false,
      settle: () => {
        made.pending--;
        this.#settled();
      },
    };
    this.#slots.set(name, made);
    return made;
  }

  /** Drops the slot of `name` from stats; promises it still has pending stay tracked by drain(). */
  forget(name: string): void {
    this.#slots.delete(name);
  }

  /** The registered plugin of `name`, if any. */
  registered(name: string): RouterBackend | undefined {
    return this.#slots.get(name)?.backend;
  }

  /** Hands `event` to the slot's backend, unless shed; never throws. */
  deliver(slot: BackendSlot, event: RoutedEvent, level: number): void {
    const backend = slot.backend;
    if (backend === undefined) {
      slot.unrouted++;
      this.unrouted++;
      if (!slot.warnedUnregistered) this.#warnUnregistered(slot, event);
      return;
    }
    if (
      slot.pending >= this.#normalLimit &&
      level !== CRITICAL &&
      (level === NORMAL || slot.pending >= this.#highLimit)
    ) {
      slot.dropped++;
      this.dropped++;
      return;
    }
    let result: void | PromiseLike<void>;
    try {
      result = backend.handle(event);
    } catch (error) {
      slot.handled++;
      this.#fail(slot, error, event);
      return;
    }
    slot.handled++;
    if (result !== undefined && result !== null && typeof result.then === 'function') {
      this.#track(slot, result, event);
    }
  }

  // Kept apart from deliver(): a closure in deliver() would make V8 allocate a context on every
  // call, synchronous backends included (bench/router.bench.ts measured 29 → 10 ns per route).
  #track(slot: BackendSlot, result: PromiseLike<void>, event: RoutedEvent): void {
    slot.pending++;
    this.#pendingTotal++;
    result.then(slot.settle, (error: unknown) => {
      slot.settle();
      this.#fail(slot, error, event);
    });
  }

  #fail(slot: BackendSlot, error: unknown, event: RoutedEvent): void {
    slot.errors++;
    this.errors++;
    try {
      this.#onError(error, { backend: slot.name, event });
    } catch {
      // An error handler that throws must not break routing either; the error is counted.
    }
  }

  #settled(): void {
    this.#pendingTotal--;
    if (this.#pendingTotal === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #warnUnregistered(slot: BackendSlot, event: RoutedEvent): void {
    slot.warnedUnregistered = true;
    try {
      this.#warn(
        `Tasker router: "${event.name}" is mapped to backend "${slot.name}", but no backend is registered under that name; its deliveries are counted as unrouted (register one with the backends option or addBackend, or map the event elsewhere; further deliveries are counted in stats())`,
      );
    } catch {
      // A warn function that throws must not break routing; the delivery is counted.
    }
  }

  #warnOnce(error: unknown, context: BackendErrorContext): void {
    const slot = this.#slots.get(context.backend);
    if (slot === undefined || slot.warned) return;
    slot.warned = true;
    const message = error instanceof Error ? error.message : String(error);
    try {
      this.#warn(
        `Tasker router: ${this.#kind} "${context.backend}" failed on "${context.event.name}": ${message} (further errors are counted in stats())`,
      );
    } catch {
      // A warn function that throws must not break routing; the error is counted.
    }
  }

  /** Resolves once every pending promise has settled. */
  drain(): Promise<void> {
    if (this.#pendingTotal === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  stats(): Record<string, BackendStats> {
    const backends: Record<string, BackendStats> = {};
    for (const slot of this.#slots.values()) {
      backends[slot.name] = {
        handled: slot.handled,
        errors: slot.errors,
        dropped: slot.dropped,
        unrouted: slot.unrouted,
        pending: slot.pending,
      };
    }
    return backends;
  }

  /** Zeroes the counters; pending promises stay tracked. */
  reset(): void {
    this.errors = 0;
    this.dropped = 0;
    this.unrouted = 0;
    for (const slot of this.#slots.values()) {
      slot.handled = 0;
      slot.errors = 0;
      slot.dropped = 0;
      slot.unrouted = 0;
      slot.warned = false;
      slot.warnedUnregistered = false;
    }
  }
}
