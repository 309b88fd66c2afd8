/**
 * The flow-control part of the store contract (issue #14): delayed starts, priorities with
 * aging, concurrency limits and rate limits, as the claim sees them. Every case has its own time
 * window and its own limit keys, so that the cases of the contract never see each other's steps.
 */
import type { ClaimedStep } from '../store/records';
import type { NewStep, NewTask, TaskStore } from '../store/task-store';
import { contractStep, contractTask } from './contract-fixtures';
import type { ContractTestApi } from './contract-test-api';

const step = contractStep;
const task = (steps: NewStep[], extra: Partial<NewTask> = {}): NewTask =>
  contractTask('flow', 'f', steps, extra);

const LEASE = 30_000;

/** Registers the flow-control cases inside the store contract's `describe`. */
export function runFlowContract(
  t: Pick<ContractTestApi, 'it' | 'expect'>,
  store: () => TaskStore,
  window: () => number,
): void {
  const { it, expect } = t;
  const claim = (now: number, limit = 100, agingMs?: number) =>
    store().claimReady('flow-w', now, limit, LEASE, undefined, agingMs);
  const complete = (c: ClaimedStep, now: number) =>
    store().settle([{ kind: 'complete', stepId: c.id, token: c.token, result: null }], now);
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

  it('delayed start: root steps are claimable at runAt, not before; a past runAt runs now', async () => {
    const now = window();
    const later = await store().createTask(
      task([step('a'), step('b', { dependsOn: ['a'] })], { runAt: now + 5_000 }),
      now,
    );
    const past = await store().createTask(task([step('p')], { runAt: now - 5_000 }), now);
    const delayed = await store().createTask(task([step('d')], { delayMs: 2_000 }), now);
    // No viable-steps event for steps that are not ready yet; the change says work is scheduled.
    expect(later.change.ready).toEqual([]);
    expect(later.change.delayed).toBe(true);
    expect(past.change.ready.map((r) => r.stepNames)).toEqual([['p']]);

    const first = await claim(now);
    expect(first.steps.map((s) => s.name)).toEqual(['p']);
    expect(first.nextReadyAt).toBe(now + 2_000);
    expect((await claim(now + 1_999)).steps).toEqual([]);
    expect((await claim(now + 2_000)).steps.map((s) => s.task.id)).toEqual([delayed.taskId]);
    const notYet = await claim(now + 4_999);
    expect(notYet.steps).toEqual([]);
    expect(notYet.nextReadyAt).toBe(now + 5_000);
    expect((await claim(now + 5_000)).steps.map((s) => `${s.task.id}:${s.name}`)).toEqual([
      `${later.taskId}:a`,
    ]);
  });

  it('delayed start: a task cancelled before it starts never runs', async () => {
    const now = window();
    const { taskId } = await store().createTask(task([step('a')], { runAt: now + 1_000 }), now);
    await store().cancelTask(taskId, now + 10);
    expect((await claim(now + 2_000)).steps).toEqual([]);
    expect((await store().getTask(taskId))?.state).toBe('cancelled');
  });

  it('priority: a higher priority is claimed first, then the oldest; a step may have its own', async () => {
    const now = window();
    const low = await store().createTask(task([step('low')]), now - 3_000);
    const high = await store().createTask(task([step('high')], { priority: 5 }), now - 1_000);
    const own = await store().createTask(task([step('own', { priority: 9 })], { priority: -3 }), now - 500);
    const mid = await store().createTask(task([step('mid')], { priority: 5 }), now - 2_000);
    const order = (await claim(now, 10)).steps.map((s) => s.name);
    expect(order).toEqual(['own', 'mid', 'high', 'low']);
    expect([low, high, own, mid].every((x) => x.created)).toBe(true);
  });

  it('priority aging: a step counts one level higher per agingMs it waited; 0 is strict', async () => {
    for (const [agingMs, expected] of [
      [1_000, ['old-low', 'new-high']],
      [0, ['new-high', 'old-low']],
      [60_000, ['new-high', 'old-low']],
    ] as const) {
      const now = window();
      // Ready 10 s apart: with 1 s per level the old step has aged 10 levels, more than the 5
      // between them; with a minute per level it has not.
      await store().createTask(task([step('old-low')]), now - 10_500);
      await store().createTask(task([step('new-high')], { priority: 5 }), now - 500);
      const first = await claim(now, 1, agingMs);
      const second = await claim(now, 1, agingMs);
      expect({ agingMs, order: [...first.steps, ...second.steps].map((s) => s.name) }).toEqual({
        agingMs,
        order: [...expected],
      });
    }
  });

  it('concurrency: at most limit steps of a key in progress; the rest are parked until one ends', async () => {
    const now = window();
    const key = unique('conc');
    for (let i = 0; i < 5; i++)
      await store().createTask(task([step(`c${i}`, { concurrency: { key, limit: 2 } })]), now - 100 + i);
    const first = await claim(now, 10);
    expect(first.steps.map((s) => s.name)).toEqual(['c0', 'c1']);
    // Three parked: the next claim finds nothing of the key, and reads none of them again.
    const second = await claim(now + 1, 10);
    expect(second.steps).toEqual([]);
    // One ends: exactly one is unparked, the oldest.
    await complete(first.steps[0] as ClaimedStep, now + 2);
    const third = await claim(now + 3, 10);
    expect(third.steps.map((s) => s.name)).toEqual(['c2']);
    expect((await claim(now + 4, 10)).steps).toEqual([]);
    // A failure that will be retried frees the slot as well.
    const [running] = third.steps as [ClaimedStep];
    await store().settle(
      [
        {
          kind: 'fail',
          stepId: running.id,
          token: running.token,
          error: { name: 'E', message: 'later' },
          retryable: true,
          delayMs: 60_000,
        },
      ],
      now + 5,
    );
    expect((await claim(now + 6, 10)).steps.map((s) => s.name)).toEqual(['c3']);
  });

  it('concurrency: a cancelled task gives back its parked steps; the room goes to live ones', async () => {
    const now = window();
    const key = unique('conc');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        (await store().createTask(task([step(`q${i}`, { concurrency: { key, limit: 1 } })]), now - 100 + i))
          .taskId,
      );
    const [first] = (await claim(now, 10)).steps as [ClaimedStep];
    expect(first.name).toBe('q0');
    // q1, q2 and q3 are parked; q1's task is cancelled: its step leaves the parked index.
    await store().cancelTask(ids[1] as string, now + 1);
    const q1 = (await store().getTask(ids[1] as string))?.steps[0];
    expect(q1?.hold).toBe(undefined);
    await complete(first, now + 2);
    expect((await claim(now + 3, 10)).steps.map((s) => s.name)).toEqual(['q2']);
  });

  it('concurrency: a key at its limit is skipped, not waited on: the steps behind it run', async () => {
    const now = window();
    const key = unique('conc');
    for (let i = 0; i < 3; i++)
      await store().createTask(task([step(`k${i}`, { concurrency: { key, limit: 1 } })]), now - 100 + i);
    await store().createTask(task([step('free')]), now - 50);
    const taken: string[] = [];
    // One step per claim: each claim parks what it cannot take and says to claim again now.
    for (let i = 0; i < 4 && !taken.includes('free'); i++) {
      const got = await claim(now + i, 1);
      taken.push(...got.steps.map((s) => s.name));
      if (got.steps.length === 0) expect(got.nextReadyAt).toBeLessThan(now + i + 1);
    }
    expect(taken).toEqual(['k0', 'free']);
  });

  it('rate limit: limit + burst starts in any window of one period; refused steps wait their turn', async () => {
    const now = window();
    const key = unique('rate');
    const rateLimit = { key, limit: 2, periodMs: 1_000, burst: 1 };
    for (let i = 0; i < 8; i++) await store().createTask(task([step(`r${i}`, { rateLimit })]), now - 100 + i);
    const starts: number[] = [];
    let at = now;
    for (let i = 0; i < 30 && starts.length < 8; i++) {
      const got = await claim(at, 10);
      for (const _ of got.steps) starts.push(at);
      // A refused step says when to claim again.
      expect(got.nextReadyAt).toBeDefined();
      at = Math.max(at + 1, got.nextReadyAt ?? at + 1);
    }
    expect(starts.length).toBe(8);
    // Two at once (the rate's one and the burst's), then one every 500 ms.
    expect(starts.map((s) => s - now)).toEqual([0, 0, 500, 1000, 1500, 2000, 2500, 3000]);
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 1_000).length).toBeLessThan(4);
  });
}
