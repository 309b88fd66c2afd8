/**
 * The schedules part of the store contract (issue #14): a due schedule fires in one
 * transaction, a slot fired again finds its task through its identity key, and (stores with a
 * second connection) a row another transaction holds is skipped without waiting. Each case has
 * its own time window and schedule name.
 */
import type { NewStep, NewTask, TaskStore } from '../store/task-store';
import type { ContractTestApi } from './contract-test-api';

/** A connection of the test's own (the store contract's `ContractSession`). */
interface Session {
  query(text: string, params?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

/** How long the held-row case waits for the store at most. */
const HOLD_MS = 10_000;

const step = (name: string): NewStep => ({
  name,
  handler: name,
  retryable: true,
  retryLimit: 2,
  timeoutMs: undefined,
  skippable: false,
  dependsOn: [],
});

const task = (steps: NewStep[], extra: Partial<NewTask> = {}): NewTask => ({
  namespace: 'contract',
  name: 'scheduled',
  version: '1.0.0',
  context: {},
  tags: [],
  annotations: {},
  bypassSteps: [],
  steps,
  ...extra,
});

/** Registers the schedule cases inside the store contract's `describe`. */
export function runScheduleContract(
  t: Pick<ContractTestApi, 'it' | 'expect'>,
  store: () => TaskStore,
  window: () => number,
  openSession: (() => Promise<Session>) | undefined,
): void {
  const { it, expect } = t;
  /** A schedule (#14) due at `now`, whose slots the test plans itself: slot i at now - i s. */
  const schedule = async (name: string, now: number) => {
    const written = await store().schedules.insert(
      {
        name,
        source: 'api',
        namespace: 'contract',
        taskName: 'scheduled',
        taskVersion: '1.0.0',
        cron: '* * * * * *',
        timezone: 'UTC',
        context: { from: name },
        catchUp: 'all',
        catchUpLimit: 10,
        nextAt: now - 2_000,
      },
      now - 3_000,
      'contract',
    );
    expect(written).toMatchObject({ name, coveredUntil: now - 3_000, nextAt: now - 2_000, paused: false });
    const plan = (slots: number[]) => () => ({
      tasks: slots.map((slot) => ({
        slot,
        input: task([step('a')], { name: 'scheduled', identityKey: `schedule:${name}@${slot}` }),
      })),
      skipped: 1,
      coveredUntil: now,
      nextAt: now + 1_000,
    });
    return { plan };
  };

  it('fires a due schedule in one transaction: its slots get tasks, its record moves, a slot fired again finds its task', async () => {
    const now = window();
    const name = `contract-${now}`;
    const { plan } = await schedule(name, now);
    expect(
      await store().schedules.insert(
        { ...(await store().schedules.get(name))!, source: 'api', nextAt: now },
        now,
        'x',
      ),
    ).toBe(undefined);
    const fired = await store().schedules.fireNext(now, [], 'w1', plan([now - 2_000, now - 1_000]));
    expect(fired?.fired.map((f) => [f.slot, f.created])).toEqual([
      [now - 2_000, true],
      [now - 1_000, true],
    ]);
    expect(await store().schedules.get(name)).toMatchObject({
      coveredUntil: now,
      nextAt: now + 1_000,
      lastSlot: now - 1_000,
      lastTaskId: fired?.fired[1]?.taskId,
      fired: 2,
      skipped: 1,
    });
    // Not due any more; and due again (a rewound record), its slots find their tasks.
    expect(await store().schedules.fireNext(now, [], 'w1', plan([]))).toBe(undefined);
    expect(await store().schedules.nextDue()).toBeLessThan(now + 1_001);
    const again = await store().schedules.fireNext(now + 1_000, [], 'w2', plan([now - 2_000, now + 1_000]));
    expect(again?.fired.map((f) => [f.slot, f.created])).toEqual([
      [now - 2_000, false],
      [now + 1_000, true],
    ]);
    expect(again?.fired[0]?.taskId).toBe(fired?.fired[0]?.taskId);
    expect((await store().schedules.get(name))?.fired).toBe(3);
    // Paused: not due; left by a plan: nothing written.
    await store().schedules.setPaused(name, true, now, 'w1');
    expect(await store().schedules.fireNext(now + 5_000, [], 'w1', plan([]))).toBe(undefined);
    await store().schedules.setPaused(name, false, now, 'w1');
    const left = await store().schedules.fireNext(now + 5_000, [], 'w1', () => undefined);
    expect(left).toMatchObject({ left: true, fired: [] });
    expect(await store().schedules.fireNext(now + 5_000, [name], 'w1', plan([]))).toBe(undefined);
    expect((await store().schedules.remove(name))?.name).toBe(name);
    expect(await store().schedules.get(name)).toBe(undefined);
  });

  // Only with a second connection (PGlite queues every statement behind an open transaction).
  const open = openSession;
  if (open === undefined) return;
  it(
    'skips a schedule whose row another transaction holds, without waiting (skip locked)',
    async () => {
      const now = window();
      const name = `contract-held-${now}`;
      const { plan } = await schedule(name, now);
      const session = await open();
      try {
        await session.query('begin');
        await session.query('select name from tasker.schedules where name = $1 for update', [name]);
        const held = await Promise.race([
          store().schedules.fireNext(now, [], 'w1', plan([now - 1_000])),
          new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), HOLD_MS)),
        ]);
        expect(held).toBe(undefined);
        await session.query('commit');
        expect((await store().schedules.fireNext(now, [], 'w1', plan([now - 1_000])))?.fired.length).toBe(1);
      } finally {
        await session.query('rollback').catch(() => {});
        await session.close();
      }
    },
    HOLD_MS * 3,
  );
}
