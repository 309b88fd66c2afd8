/**
 * When a worker renews the leases of the steps it runs, and when it gives a running step up
 * because its lease could not be renewed (see {@link leaseTiming}).
 */
import { TaskerError } from '../errors';

/** When a worker renews its leases and when it gives a running step up. */
export interface LeaseTiming {
  /** Renew every held lease this often (ms of the engine's clock). */
  readonly renewEveryMs: number;
  /**
   * Abort a running handler once its lease is this close to expiring, unrenewed (ms): twice the
   * clocks' error bound (this clock may be late and another worker's early), one tick (the
   * check's granularity) and a margin for the handler to stop.
   */
  readonly abortBeforeExpiryMs: number;
}

/**
 * The lease rule. Another worker takes a step over once its own clock passes the stored expiry
 * `X = now_at_renewal + leaseMs`. With every clock within `clockErrorMs` of the database's, that
 * happens no earlier than `X - clockErrorMs` of true time, while this worker, whose clock is at
 * most `clockErrorMs` late, aborts the handler by `X - clockErrorMs - tick - stopMargin`: the
 * handler has `stopMargin` (a tenth of the lease, at most 500 ms) to stop before the step can be
 * claimed elsewhere. Renewals come at least twice in the window before that, so one slow renewal
 * costs nothing. With the defaults (lease 2.5 s, tick 100 ms, round-trip bound 200 ms): renewal
 * every 833 ms, abort 550 ms before expiry, i.e. 1.95 s after the last renewal that succeeded.
 */
export function leaseTiming(leaseMs: number, tickIntervalMs: number, clockErrorMs: number): LeaseTiming {
  const stopMargin = Math.min(500, leaseMs / 10);
  const abortBeforeExpiryMs = 2 * clockErrorMs + tickIntervalMs + stopMargin;
  const window = leaseMs - abortBeforeExpiryMs;
  if (window <= 0) {
    throw new TaskerError(
      'CONFIG_INVALID',
      `engine.leaseMs (${leaseMs}) must exceed ${abortBeforeExpiryMs} ms: twice the clock error bound (${clockErrorMs} ms), engine.tickIntervalMs (${tickIntervalMs}) and a tenth of the lease for a handler to stop`,
    );
  }
  return { renewEveryMs: Math.min(leaseMs / 3, window / 2), abortBeforeExpiryMs };
}
