/**
 * Clocks. The engine reads every time from one injected clock and passes it to SQL as `$now`,
 * so all comparisons (readiness, leases, `nextAttemptAt`) use it. In production it is the
 * database's own clock: this process's monotonic clock plus an offset to the server, measured at
 * start and re-measured periodically, so workers on many machines agree on leases.
 *
 * How wrong a synced clock can be. A sample reads the server's clock between two local
 * readings; the server's reading was taken somewhere in that round trip, so the offset computed
 * from its middle is wrong by at most half the round trip. A sample whose round trip exceeds
 * `maxRoundTripMs` is discarded (the previous offset stays), so every clock in use is wrong by at
 * most `maxRoundTripMs / 2` (100 ms by default): a query that waits out a database outage can no
 * longer drag the offset by half the outage. The local side is `performance.now()`, which a
 * change of the machine's wall clock does not move. Drift between two samples (a minute, a few
 * parts per million) is negligible beside that bound. The first sync takes several samples and
 * keeps the quickest; if even that one is over the bound it is kept (there is nothing better),
 * its own error bound is reported, and any later sample within the bound replaces it.
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

/** One measurement of a synced clock's offset. */
export interface ClockSample {
  readonly offsetMs: number;
  readonly roundTripMs: number;
  /** False when the sample was discarded (its round trip was over the bound). */
  readonly accepted: boolean;
}

/** Options of {@link createSyncedClock}. */
export interface SyncedClockOptions {
  /** Samples with a longer round trip are discarded (ms). Default 200. */
  readonly maxRoundTripMs?: number;
  /** Samples the first `sync()` takes, keeping the quickest. Default 5. */
  readonly initialSamples?: number;
  /** The local clock, epoch ms; monotonic by default (`performance.timeOrigin + performance.now()`). */
  readonly local?: () => number;
}

/** A clock that follows a time source (the database) through a measured offset. */
export interface SyncedClock extends Clock {
  /** Measures the offset to the source again; a sample over the round-trip bound is discarded. */
  sync(): Promise<ClockSample>;
  readonly offsetMs: number;
  /** How wrong `now()` can be, from the sample in use: half its round trip. */
  readonly errorBoundMs: number;
  /** The bound every accepted sample keeps: `maxRoundTripMs / 2`. */
  readonly maxErrorMs: number;
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

const monotonic = (): number => performance.timeOrigin + performance.now();

/**
 * A clock that follows `source` (for example `() => store.databaseNow()`): the local monotonic
 * clock plus the offset of the last accepted sample.
 *
 * @example
 * ```ts
 * const clock = createSyncedClock(() => store.databaseNow(), { maxRoundTripMs: 200 });
 * await clock.sync();
 * clock.now(); // the database's time, within clock.errorBoundMs
 * ```
 */
export function createSyncedClock(
  source: () => Promise<number>,
  options: SyncedClockOptions = {},
): SyncedClock {
  const maxRoundTripMs = options.maxRoundTripMs ?? 200;
  const initialSamples = Math.max(1, options.initialSamples ?? 5);
  const local = options.local ?? monotonic;
  let offset = 0;
  let errorBound = Number.POSITIVE_INFINITY;

  const measure = async (): Promise<{ offsetMs: number; roundTripMs: number }> => {
    const before = local();
    const remote = await source();
    const after = local();
    return { offsetMs: remote - (before + after) / 2, roundTripMs: after - before };
  };
  const take = (s: { offsetMs: number; roundTripMs: number }): ClockSample => {
    const within = s.roundTripMs <= maxRoundTripMs;
    // Over the bound, a sample is still better than one with a longer round trip (or none).
    const accepted = within || s.roundTripMs / 2 < errorBound;
    if (accepted) {
      offset = s.offsetMs;
      errorBound = s.roundTripMs / 2;
    }
    return { offsetMs: s.offsetMs, roundTripMs: s.roundTripMs, accepted };
  };

  return {
    now: () => Math.round(local() + offset),
    get offsetMs() {
      return offset;
    },
    get errorBoundMs() {
      return errorBound;
    },
    maxErrorMs: maxRoundTripMs / 2,
    async sync() {
      if (errorBound !== Number.POSITIVE_INFINITY) return take(await measure());
      let best = await measure();
      for (let i = 1; i < initialSamples && best.roundTripMs > maxRoundTripMs / 4; i++) {
        const next = await measure();
        if (next.roundTripMs < best.roundTripMs) best = next;
      }
      return take(best);
    },
  };
}
