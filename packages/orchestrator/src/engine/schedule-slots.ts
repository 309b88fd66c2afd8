/**
 * Which slots of a due schedule fire, and which are skipped (issue #14). Pure arithmetic over
 * croner: no clock of its own, no database.
 *
 * A slot is an instant at which the cron expression matches in the schedule's time zone. When a
 * schedule is due at `now`, the slots to decide are those after `coveredUntil` (everything up to
 * it was fired or skipped) and up to `now`:
 *
 * - **On time**: slots at most `missedAfterMs` old (`now - slot <= missedAfterMs`). They always
 *   fire: a worker that ticks late, a restart, a short outage shorter than the tolerance.
 * - **Missed**: older slots. The catch-up policy says which fire: `none` (none of them),
 *   `latest` (the most recent one), `all` (the most recent `catchUpLimit` of them). The rest
 *   are skipped, and counted (up to {@link SKIPPED_COUNT_LIMIT}: a month of a per-second
 *   schedule is not walked slot by slot).
 *
 * Daylight-saving time follows croner (the rule of Vixie cron and croner-rust): a *fixed-time*
 * expression (one value each in seconds, minutes and hours, such as `30 2 * * *`) fires once on
 * a day whose clock skips its time (at the first valid time after the gap: 03:00 for 02:30 in
 * Europe/Berlin) and once on a day that repeats it (at its first occurrence). An *interval*
 * expression (a wildcard, step, range or list in those fields, such as `*\/15 * * * *`) keeps
 * real time: local times that do not exist are not slots, and a repeated hour holds slots on
 * both passes, each a distinct instant. Every slot is an instant, fired at most once.
 */
import type { Cron } from 'croner';

/** Missed slots are counted one by one up to this many; past it the count is a lower bound. */
export const SKIPPED_COUNT_LIMIT = 10_000;

/** What a schedule's firing is decided from. */
export interface SlotInput {
  readonly cron: Cron;
  readonly coveredUntil: number;
  readonly catchUp: 'none' | 'latest' | 'all';
  readonly catchUpLimit: number;
}

/** Missed slots that do not fire. */
export interface SkippedSlots {
  /** How many (a lower bound when `capped`). */
  readonly count: number;
  readonly capped: boolean;
  readonly first: number;
  readonly last: number;
}

/** The decision for one due schedule at `now`. */
export interface SlotPlan {
  /** Slots that fire, oldest first, each marked when it is a missed slot caught up. */
  readonly fire: readonly { readonly slot: number; readonly caughtUp: boolean }[];
  readonly skipped: SkippedSlots | undefined;
  /** The next slot after `now`, or undefined when the expression never fires again. */
  readonly nextAt: number | undefined;
}

const after = (cron: Cron, at: number): number | undefined => cron.nextRun(new Date(at))?.getTime();

/** Decides a due schedule's slots at `now` (see the module comment). */
export function planSlots(input: SlotInput, now: number, missedAfterMs: number): SlotPlan {
  const { cron, coveredUntil } = input;
  const boundary = now - missedAfterMs;
  // Missed: after coveredUntil, before the boundary. The most recent `wanted` of them fire.
  const wanted = input.catchUp === 'none' ? 0 : input.catchUp === 'latest' ? 1 : input.catchUpLimit;
  const fire: { slot: number; caughtUp: boolean }[] = [];
  let skipped: SkippedSlots | undefined;
  const firstMissed = after(cron, coveredUntil);
  if (firstMissed !== undefined && firstMissed < boundary) {
    // Walk the missed slots forward; past the limit, the most recent come from croner backwards.
    const missed: number[] = [];
    let t: number | undefined = firstMissed;
    while (t !== undefined && t < boundary && missed.length < SKIPPED_COUNT_LIMIT + wanted) {
      missed.push(t);
      t = after(cron, t);
    }
    const walked = t === undefined || t >= boundary;
    const recent = walked
      ? missed.slice(missed.length - Math.min(wanted, missed.length))
      : cron
          .previousRuns(wanted, new Date(boundary))
          .map((d) => d.getTime())
          .sort((a, b) => a - b);
    for (const slot of recent) fire.push({ slot, caughtUp: true });
    const count = walked ? missed.length - recent.length : SKIPPED_COUNT_LIMIT;
    if (count > 0) {
      const end = recent[0] ?? boundary;
      const last = walked
        ? (missed[count - 1] as number)
        : (cron.previousRuns(1, new Date(end))[0]?.getTime() ?? firstMissed);
      skipped = { count, capped: !walked, first: firstMissed, last };
    }
  }
  // On time: at or after the boundary, up to now.
  for (
    let t = after(cron, Math.max(coveredUntil, boundary - 1));
    t !== undefined && t <= now;
    t = after(cron, t)
  ) {
    fire.push({ slot: t, caughtUp: false });
  }
  return { fire, skipped, nextAt: after(cron, now) };
}
