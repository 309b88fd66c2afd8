/**
 * The schedules suite (issue #14), run once per store (PGlite and PostgreSQL) on an injected
 * manual clock: each test moves time and calls `tasker.schedules.tick()` (what a worker's loop
 * does by itself), so catch-up, pause, daylight-saving changes and two definitions of one
 * schedule are asserted slot by slot, without sleeps.
 */
import { createEventRouter, type RoutedEvent } from '@tasker/router';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createManualClock,
  createTasker,
  defineTask,
  isTaskerError,
  type ScheduleInput,
  slotIdentityKey,
  type Tasker,
  type TaskerConfigInput,
  type TaskStore,
} from '../../src/index';

/** What the suite runs on: a migrated store, and SQL on its database. */
export interface ScheduleSubject {
  readonly store: TaskStore;
  readonly query: (text: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
  close(): Promise<void>;
}

const S = 1_000;
const MIN = 60 * S;
const T0 = Date.parse('2027-01-04T10:00:00.000Z');

const report = (version: string, schedules: ScheduleInput[] = []) =>
  defineTask({
    namespace: 'sched',
    name: 'report',
    version,
    contextSchema: z.object({ region: z.string() }),
    steps: [{ name: 'build', handler: async () => 'built' }],
    schedules,
  });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isTaskerError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a rejection');
}

export function scheduleSuite(name: string, createSubject: () => Promise<ScheduleSubject>): void {
  describe(`schedules on ${name}`, () => {
    let subject: ScheduleSubject;
    const clock = createManualClock(T0);
    let engines: Tasker[] = [];
    let events: RoutedEvent[] = [];

    beforeAll(async () => {
      subject = await createSubject();
    }, 60_000);
    afterEach(async () => {
      for (const e of engines) await e.stop();
      engines = [];
      events = [];
      await subject.query('delete from tasker.schedules');
      await subject.query('delete from tasker.tasks');
    });
    afterAll(async () => {
      await subject?.close();
    });

    /** An engine on the suite's store and clock, that fires nothing by itself. */
    function engine(tasks = [report('1.0.0')], config: TaskerConfigInput = {}): Tasker {
      const router = createEventRouter({
        mappings: [{ eventName: 'schedule.*', backends: ['rec'] }],
        backends: { rec: { name: 'rec', handle: (e) => void events.push(e) } },
      });
      const tasker = createTasker({
        store: subject.store,
        tasks,
        clock,
        router,
        config: { ...config, schedules: { enabled: false, missedAfterMs: 5 * S, ...config.schedules } },
        onError: () => {},
      });
      engines.push(tasker);
      return tasker;
    }

    /** The slot of each task of the schedule (from the task's reason), oldest first. */
    async function slotsOf(schedule: string): Promise<string[]> {
      const r = await subject.query('select reason from tasker.tasks where initiator = $1', [
        `schedule:${schedule}`,
      ]);
      return r.rows.map((row) => String(row.reason).replace(/^.*, slot /, '')).sort();
    }
    const at = (t: number) => new Date(t).toISOString();

    it('fires each slot once, with its identity key, and records the last fired slot', async () => {
      clock.set(T0);
      const tasker = engine();
      const added = await tasker.schedules.add({
        name: 'every-second',
        cron: '* * * * * *',
        namespace: 'sched',
        taskName: 'report',
        context: { region: 'eu' },
      });
      expect(added).toMatchObject({ source: 'api', taskVersion: 'latest', nextAt: T0 + S, coveredUntil: T0 });
      clock.set(T0 + 3_400);
      const tick = await tasker.schedules.tick();
      expect(tick.fired.map((f) => [f.slot - T0, f.created, f.caughtUp])).toEqual([
        [1_000, true, false],
        [2_000, true, false],
        [3_000, true, false],
      ]);
      expect((await tasker.schedules.tick()).fired).toEqual([]);
      expect(await slotsOf('every-second')).toEqual([at(T0 + S), at(T0 + 2 * S), at(T0 + 3 * S)]);
      const task = await tasker.getTask(tick.fired[2]?.taskId as string);
      expect(task).toMatchObject({
        identityKey: slotIdentityKey('every-second', T0 + 3 * S),
        context: { region: 'eu' },
        version: '1.0.0',
      });
      expect(await tasker.schedules.get('every-second')).toMatchObject({
        fired: 3,
        skipped: 0,
        lastSlot: T0 + 3 * S,
        lastTaskId: tick.fired[2]?.taskId,
        coveredUntil: T0 + 3_400,
        nextAt: T0 + 4 * S,
      });
      expect(events.map((e) => [e.name, (e.payload as { slot: string }).slot])).toEqual([
        ['schedule.fired', at(T0 + S)],
        ['schedule.fired', at(T0 + 2 * S)],
        ['schedule.fired', at(T0 + 3 * S)],
      ]);
      expect(events[2]?.payload).toMatchObject({ schedule: 'every-second', lateMs: 400, caughtUp: false });
    });

    it('applies catch-up none, latest and all (with its bound) to slots missed while no worker ran', async () => {
      clock.set(T0);
      const tasker = engine();
      const base = { cron: '* * * * * *', namespace: 'sched', taskName: 'report', context: { region: 'eu' } };
      await tasker.schedules.add({ ...base, name: 'none', catchUp: 'none' });
      await tasker.schedules.add({ ...base, name: 'latest', catchUp: 'latest' });
      await tasker.schedules.add({ ...base, name: 'all', catchUp: 'all', catchUpLimit: 3 });
      // 20 s without a tick; slots older than 5 s (1 to 14) are missed, 15 to 20 on time.
      clock.set(T0 + 20 * S);
      await tasker.schedules.tick();
      const seconds = async (n: string) => (await slotsOf(n)).map((s) => (Date.parse(s) - T0) / S);
      expect(await seconds('none')).toEqual([15, 16, 17, 18, 19, 20]);
      expect(await seconds('latest')).toEqual([14, 15, 16, 17, 18, 19, 20]);
      expect(await seconds('all')).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20]);
      const skipped = Object.fromEntries(
        events
          .filter((e) => e.name === 'schedule.skipped')
          .map((e) => [(e.payload as { schedule: string }).schedule, e.payload]),
      );
      expect(skipped.none).toMatchObject({
        reason: 'missed',
        count: 14,
        firstSlot: at(T0 + S),
        lastSlot: at(T0 + 14 * S),
      });
      expect(skipped.latest).toMatchObject({ count: 13, lastSlot: at(T0 + 13 * S) });
      expect(skipped.all).toMatchObject({ count: 11, catchUp: 'all' });
      expect(await tasker.schedules.get('all')).toMatchObject({ fired: 9, skipped: 11 });
    });

    it('fires nothing while paused; resuming applies the catch-up policy', async () => {
      clock.set(T0);
      const tasker = engine();
      await tasker.schedules.add({
        name: 'minutely',
        cron: '0 * * * * *',
        namespace: 'sched',
        taskName: 'report',
        context: { region: 'eu' },
      });
      expect((await tasker.schedules.pause('minutely')).paused).toBe(true);
      clock.set(T0 + 10 * MIN + 30 * S);
      expect(await tasker.schedules.tick()).toEqual({ fired: [], skipped: [], left: [] });
      expect(await slotsOf('minutely')).toEqual([]);
      expect((await tasker.schedules.resume('minutely')).paused).toBe(false);
      // Ten slots passed while paused, all older than 5 s: `latest` fires the tenth.
      const tick = await tasker.schedules.tick();
      expect(tick.fired.map((f) => [f.slot, f.caughtUp])).toEqual([[T0 + 10 * MIN, true]]);
      expect(tick.skipped).toMatchObject([{ schedule: 'minutely', count: 9, reason: 'missed' }]);
      expect(await codeOf(tasker.schedules.pause('nope'))).toBe(
        'SCHEDULE_NOT_FOUND: No schedule named "nope"',
      );
    });

    it('fires a 02:30 Europe/Berlin slot once on the day the clock skips it and once on the day it repeats', async () => {
      for (const [day, expected] of [
        // 02:00 CET → 03:00 CEST at 01:00Z: 02:30 does not exist, it fires at 03:00 CEST.
        ['2027-03-28', ['2027-03-27T01:30:00.000Z', '2027-03-28T01:00:00.000Z', '2027-03-29T00:30:00.000Z']],
        // 03:00 CEST → 02:00 CET at 01:00Z: 02:30 comes at 00:30Z and at 01:30Z; it fires at the first.
        ['2027-10-31', ['2027-10-30T00:30:00.000Z', '2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']],
      ] as const) {
        const start = Date.parse(`${day}T00:00:00Z`) - 36 * 60 * MIN;
        clock.set(start);
        const tasker = engine();
        const name = `berlin-${day}`;
        await tasker.schedules.add({
          name,
          cron: '30 2 * * *',
          timezone: 'Europe/Berlin',
          namespace: 'sched',
          taskName: 'report',
          context: { region: 'eu' },
        });
        // A worker ticking every 10 minutes for three days.
        for (let t = start; t <= start + 72 * 60 * MIN; t += 10 * MIN) {
          clock.set(t);
          await tasker.schedules.tick();
        }
        expect(await slotsOf(name)).toEqual(expected);
      }
    }, 120_000);

    it('adds and removes schedules at run time, refusing bad ones by field', async () => {
      clock.set(T0);
      const tasker = engine();
      const spec = {
        name: 'hourly',
        cron: '@hourly',
        namespace: 'sched',
        taskName: 'report',
        context: { region: 'eu' },
      };
      await tasker.schedules.add(spec);
      expect(await codeOf(tasker.schedules.add(spec))).toBe(
        'SCHEDULE_EXISTS: A schedule named "hourly" exists already',
      );
      expect(await codeOf(tasker.schedules.add({ ...spec, name: 'x', cron: '* * *' }))).toMatch(
        /^SCHEDULE_INVALID: cron: expected a cron expression of 5 or 6 fields/,
      );
      expect(await codeOf(tasker.schedules.add({ ...spec, name: 'x', timezone: 'Nowhere/Land' }))).toMatch(
        /^SCHEDULE_INVALID: timezone: expected an IANA time zone/,
      );
      expect(await codeOf(tasker.schedules.add({ ...spec, name: 'x', taskName: 'missing' }))).toMatch(
        /^DEFINITION_NOT_FOUND: /,
      );
      expect(await codeOf(tasker.schedules.add({ ...spec, name: 'x', context: { region: 1 } }))).toMatch(
        /^CONTEXT_INVALID: .*context\.region/,
      );
      clock.set(T0 + 61 * MIN);
      await tasker.schedules.tick();
      expect(await slotsOf('hourly')).toEqual([at(T0 + 60 * MIN)]);
      expect((await tasker.schedules.remove('hourly')).fired).toBe(1);
      clock.set(T0 + 3 * 60 * MIN + 30 * S);
      await tasker.schedules.tick();
      expect(await slotsOf('hourly')).toEqual([at(T0 + 60 * MIN)]);
      // Added again: its first slot is the first after now, not the ones it missed while removed.
      await tasker.schedules.add(spec);
      clock.set(T0 + 4 * 60 * MIN + 30 * S);
      await tasker.schedules.tick();
      expect(await slotsOf('hourly')).toEqual([at(T0 + 60 * MIN), at(T0 + 4 * 60 * MIN)]);
      expect((await tasker.schedules.list()).map((s) => s.name)).toEqual(['hourly']);
      expect(await codeOf(tasker.schedules.remove('gone'))).toBe(
        'SCHEDULE_NOT_FOUND: No schedule named "gone"',
      );
    });

    it('keeps the newer definition of a schedule across two engine versions, and fires each slot once', async () => {
      clock.set(T0);
      const v1 = [report('1.0.0', [{ name: 'report', cron: '*/2 * * * * *', context: { region: 'v1' } }])];
      const v2 = [
        report('1.0.0'),
        report('2.0.0', [
          { name: 'report', cron: '*/3 * * * * *', context: { region: 'v2' }, catchUp: 'all' },
        ]),
      ];
      const old = engine(v1);
      await old.start();
      expect(await old.schedules.get('report')).toMatchObject({
        source: 'code',
        definitionVersion: '1.0.0',
        cron: '*/2 * * * * *',
      });
      const fresh = engine(v2);
      await fresh.start();
      // An old engine started after the new one leaves the newer definition alone.
      const restarted = engine(v1);
      await restarted.start();
      expect(await fresh.schedules.get('report')).toMatchObject({
        definitionVersion: '2.0.0',
        taskVersion: '2.0.0',
        cron: '*/3 * * * * *',
        context: { region: 'v2' },
      });
      // Both tick at the same instants: the old one cannot build 2.0.0 tasks and leaves the slot.
      for (let t = T0 + S; t <= T0 + 12 * S; t += S) {
        clock.set(t);
        const [a, b] = await Promise.all([old.schedules.tick(), fresh.schedules.tick()]);
        // The new engine's next tick fires a slot its first found held by the old one.
        const c = await fresh.schedules.tick();
        expect([...a.fired, ...b.fired, ...c.fired].filter((f) => f.created).length).toBeLessThanOrEqual(1);
        expect(a.fired).toEqual([]);
      }
      const fired = await slotsOf('report');
      expect(fired.map((s) => (Date.parse(s) - T0) / S)).toEqual([3, 6, 9, 12]);
      const versions = await subject.query(
        "select distinct version, context->>'region' as region from tasker.tasks",
      );
      expect(versions.rows).toEqual([{ version: '2.0.0', region: 'v2' }]);
      // A writer that rewinds the firing record (an engine on a stale view of it) fires the same
      // slots again: their identity keys find the tasks made the first time, and nothing is added.
      await subject.query('update tasker.schedules set covered_until = $1, next_at = $2', [T0, T0 + 3 * S]);
      const again = await fresh.schedules.tick();
      expect(again.fired.map((f) => [(f.slot - T0) / S, f.created])).toEqual([
        [3, false],
        [6, false],
        [9, false],
        [12, false],
      ]);
      expect(await slotsOf('report')).toEqual(fired);
      expect(events.filter((e) => e.name === 'schedule.fired')).toHaveLength(4);
    });

    it('never lets code overwrite a schedule added through the API', async () => {
      clock.set(T0);
      const api = engine();
      await api.schedules.add({
        name: 'report',
        cron: '0 0 * * *',
        namespace: 'sched',
        taskName: 'report',
        context: { region: 'api' },
      });
      const coded = engine([
        report('9.0.0', [{ name: 'report', cron: '* * * * * *', context: { region: 'code' } }]),
      ]);
      await coded.start();
      expect(await coded.schedules.get('report')).toMatchObject({
        source: 'api',
        cron: '0 0 * * *',
        context: { region: 'api' },
      });
    });
  });
}
