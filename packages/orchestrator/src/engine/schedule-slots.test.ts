import { describe, expect, it } from 'vitest';
import { parseCron } from '../definitions/schedule-spec';
import { planSlots, SKIPPED_COUNT_LIMIT } from './schedule-slots';

const T0 = Date.parse('2026-01-05T10:00:00.000Z');
const S = 1_000;
const iso = (t: number) => new Date(t).toISOString();
const everySecond = parseCron('* * * * * *', 'UTC');

describe('planSlots', () => {
  it('fires the slots that are on time, and names the next', () => {
    const plan = planSlots(
      { cron: everySecond, coveredUntil: T0, catchUp: 'none', catchUpLimit: 100 },
      T0 + 2_500,
      5 * S,
    );
    expect(plan.fire).toEqual([
      { slot: T0 + S, caughtUp: false },
      { slot: T0 + 2 * S, caughtUp: false },
    ]);
    expect(plan.skipped).toBeUndefined();
    expect(plan.nextAt).toBe(T0 + 3 * S);
  });

  it('applies the catch-up policy to slots older than the tolerance', () => {
    const input = { cron: everySecond, coveredUntil: T0, catchUpLimit: 3 };
    // 20 s without a worker, a tolerance of 5 s: slots 1..14 are missed, 15..20 on time.
    const now = T0 + 20 * S;
    const none = planSlots({ ...input, catchUp: 'none' }, now, 5 * S);
    expect(none.fire.map((f) => (f.slot - T0) / S)).toEqual([15, 16, 17, 18, 19, 20]);
    expect(none.skipped).toEqual({ count: 14, capped: false, first: T0 + S, last: T0 + 14 * S });
    const latest = planSlots({ ...input, catchUp: 'latest' }, now, 5 * S);
    expect(latest.fire.map((f) => [(f.slot - T0) / S, f.caughtUp])).toEqual([
      [14, true],
      [15, false],
      [16, false],
      [17, false],
      [18, false],
      [19, false],
      [20, false],
    ]);
    expect(latest.skipped).toMatchObject({ count: 13, last: T0 + 13 * S });
    const all = planSlots({ ...input, catchUp: 'all' }, now, 5 * S);
    expect(all.fire.filter((f) => f.caughtUp).map((f) => (f.slot - T0) / S)).toEqual([12, 13, 14]);
    expect(all.skipped).toMatchObject({ count: 11, first: T0 + S, last: T0 + 11 * S });
    const unbounded = planSlots({ ...input, catchUp: 'all', catchUpLimit: 100 }, now, 5 * S);
    expect(unbounded.fire).toHaveLength(20);
    expect(unbounded.skipped).toBeUndefined();
  });

  it('counts a long gap up to a limit, and still fires its most recent slots', () => {
    const now = T0 + 30 * 86_400 * S;
    const plan = planSlots({ cron: everySecond, coveredUntil: T0, catchUp: 'all', catchUpLimit: 2 }, now, 0);
    expect(plan.skipped).toMatchObject({
      count: SKIPPED_COUNT_LIMIT,
      capped: true,
      first: T0 + S,
      last: now - 3 * S,
    });
    expect(plan.fire.map((f) => now - f.slot)).toEqual([2 * S, S, 0]);
  });

  it('fires a fixed-time slot once on the day Europe/Berlin skips 02:00–03:00, at 03:00', () => {
    const cron = parseCron('30 2 * * *', 'Europe/Berlin');
    // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z).
    const from = Date.parse('2026-03-28T12:00:00Z');
    const plan = planSlots(
      { cron, coveredUntil: from, catchUp: 'all', catchUpLimit: 10 },
      Date.parse('2026-03-30T12:00:00Z'),
      0,
    );
    expect(plan.fire.map((f) => iso(f.slot))).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  it('fires a fixed-time slot once on the day Europe/Berlin repeats 02:00–03:00, at its first pass', () => {
    const cron = parseCron('30 2 * * *', 'Europe/Berlin');
    // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z); 02:30 happens at 00:30Z and at 01:30Z.
    const from = Date.parse('2026-10-24T12:00:00Z');
    const plan = planSlots(
      { cron, coveredUntil: from, catchUp: 'all', catchUpLimit: 10 },
      Date.parse('2026-10-26T12:00:00Z'),
      0,
    );
    expect(plan.fire.map((f) => iso(f.slot))).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('keeps real time for an interval expression through both changes in America/New_York', () => {
    const cron = parseCron('*/30 * * * *', 'America/New_York');
    // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z): no 02:00 or 02:30 slot.
    const spring = planSlots(
      { cron, coveredUntil: Date.parse('2026-03-08T06:00:00Z'), catchUp: 'all', catchUpLimit: 10 },
      Date.parse('2026-03-08T08:00:00Z'),
      0,
    );
    expect(spring.fire.map((f) => iso(f.slot))).toEqual([
      '2026-03-08T06:30:00.000Z', // 01:30 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-08T07:30:00.000Z',
      '2026-03-08T08:00:00.000Z',
    ]);
    // 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z): 01:00 and 01:30 come twice, as distinct instants.
    const fall = planSlots(
      { cron, coveredUntil: Date.parse('2026-11-01T04:45:00Z'), catchUp: 'all', catchUpLimit: 10 },
      Date.parse('2026-11-01T07:00:00Z'),
      0,
    );
    expect(fall.fire.map((f) => iso(f.slot))).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T06:30:00.000Z', // 01:30 EST
      '2026-11-01T07:00:00.000Z', // 02:00 EST
    ]);
    expect(new Set(fall.fire.map((f) => f.slot)).size).toBe(fall.fire.length);
  });
});
