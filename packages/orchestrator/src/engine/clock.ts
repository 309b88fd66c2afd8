/**
 * Clocks. The engine reads every time from one injected clock and passes it to SQL as `$now`,
 * so all comparisons (readiness, leases, `nextAttemptAt`) use it. In production it is the
 * database's own clock: a local clock corrected by the offset to the server, measured at start
 * and re-measured periodically, so workers on many machines agree on leases.
 */

/** A clock: epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`. */
  advance(ms: number): void;
  set(epochMs: number): void;
}

/** A clock that follows a time source (the database) through a measured offset. */
export interface SyncedClock extends Clock {
  /** Re-measures the offset to the source. */
  sync(): Promise<void>;
  readonly offsetMs: number;
}

/** The local clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to. */
export function createManualClock(startMs = 1_700_000_000_000): ManualClock {
  let now = startMs;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(epochMs: number) {
      now = epochMs;
    },
  };
}

/**
 * A clock that follows `source` (for example `() => store.databaseNow()`): the local clock
 * plus the offset measured at the last `sync()`, halving the round trip.
 */
export function createSyncedClock(source: () => Promise<number>): SyncedClock {
  let offset = 0;
  return {
    now: () => Math.round(Date.now() + offset),
    get offsetMs() {
      return offset;
    },
    async sync() {
      const before = Date.now();
      const remote = await source();
      const after = Date.now();
      offset = remote - (before + after) / 2;
    },
  };
}
