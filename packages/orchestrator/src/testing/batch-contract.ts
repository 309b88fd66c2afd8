/**
 * The batch part of the store contract (issue #14): `createTasks` writes each task of a batch
 * as `createTask` writes one, in one statement, answers identity keys as `createTask` does
 * (within the batch too), refuses a batch with a bad task as a whole, and stores flow control
 * (delayed starts, priorities, concurrency and rate keys) so that the claim honours it.
 */
import type { QueryInfo } from '../store/store-context';
import type { NewStep, NewTask, TaskStore } from '../store/task-store';
import { contractStep, contractTask } from './contract-fixtures';
import type { ContractTestApi } from './contract-test-api';

const step = contractStep;
const task = (steps: NewStep[], extra: Partial<NewTask> = {}): NewTask =>
  contractTask('batch', 'b', steps, extra);

const LEASE = 30_000;

/** Registers the batch cases inside the store contract's `describe`. */
export function runBatchContract(
  t: Pick<ContractTestApi, 'it' | 'expect'>,
  store: () => TaskStore,
  window: () => number,
): void {
  const { it, expect } = t;
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  const claim = (now: number, limit = 100) => store().claimReady('batch-w', now, limit, LEASE);
  // Statements run while `counting` is set (the store's monitoring hook sees every one), but the
  // task-finished NOTIFYs that an earlier case's cancellations send after their commits.
  let counting: QueryInfo[] | undefined;
  let observing = false;
  const countStatements = async <T>(body: () => Promise<T>): Promise<{ result: T; names: string[] }> => {
    if (!observing) {
      store().observeQueries((q) => counting?.push(q));
      observing = true;
    }
    counting = [];
    try {
      const result = await body();
      return { result, names: counting.map((q) => q.name).filter((n) => n !== 'notify') };
    } finally {
      counting = undefined;
    }
  };
  /** A task's details without its ids and times: what two ways of creating it must agree on. */
  const shape = async (taskId: string) => {
    const d = await store().getTask(taskId);
    if (d === undefined) throw new Error(`no task ${taskId}`);
    const names = new Map(d.steps.map((s) => [s.id, s.name]));
    return {
      state: d.state,
      context: d.context,
      tags: d.tags,
      annotations: d.annotations,
      reason: d.reason,
      initiator: d.initiator,
      owner: d.owner,
      requestedInitiator: d.requestedInitiator,
      sourceSystem: d.sourceSystem,
      identityKey: d.identityKey,
      traceContext: d.traceContext,
      bypassSteps: d.bypassSteps,
      completed: d.completedAt !== undefined,
      steps: d.steps.map((s) => ({
        name: s.name,
        handler: s.handler,
        position: s.position,
        state: s.state,
        dependsOn: s.dependsOn,
        pendingParents: s.pendingParents,
        retryable: s.retryable,
        retryLimit: s.retryLimit,
        timeoutMs: s.timeoutMs,
        skippable: s.skippable,
        inputs: s.inputs,
        queue: s.queue,
        claimKey: s.claimKey,
      })),
      transitions: d.transitions.map((x) => ({
        step: x.stepId === undefined ? null : names.get(x.stepId),
        from: x.from,
        to: x.to,
        reason: x.reason,
        metadata: x.metadata,
      })),
    };
  };

  it('batch: writes each task as createTask does, in one statement, answering in input order', async () => {
    const now = window();
    const inputs: NewTask[] = [
      task([step('a'), step('b', { dependsOn: ['a'] })], {
        namespace: 'batch-shape',
        name: 'chain',
        tags: ['x', 'y'],
        annotations: { note: { deep: [1, 2] } },
        reason: 'because',
        initiator: 'me',
        owner: 'svc',
        requestedInitiator: 'you',
        sourceSystem: 'tests',
        traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      }),
      task(
        [
          step('skip', { skippable: true }),
          step('after', { dependsOn: ['skip'], queue: 'slow', timeoutMs: 5 }),
        ],
        { namespace: 'batch-shape', name: 'bypass', bypassSteps: ['skip'], context: { deep: { a: [null] } } },
      ),
      task([step('only', { skippable: true })], {
        namespace: 'batch-shape',
        name: 'empty',
        bypassSteps: ['only'],
      }),
    ];
    const singles = [];
    for (const input of inputs) singles.push(await store().createTask(input, now));
    let announced = 0;
    const stop = store().watchReady(() => announced++);
    const { result, names } = await countStatements(() => store().createTasks(inputs, now));
    stop();
    expect(names).toEqual(['create_tasks']);
    expect(announced).toBe(1);
    expect(result.tasks.map((x) => x.created)).toEqual([true, true, true]);
    for (let i = 0; i < singles.length; i++) {
      const single = singles[i] as (typeof singles)[number];
      const batched = result.tasks[i] as (typeof result.tasks)[number];
      expect(await shape(batched.taskId)).toEqual(await shape(single.taskId));
      // The change to publish names the same transitions and ready steps, with the audit's ids.
      const summary = (c: typeof single.change) => ({
        transitions: c.transitions.map((x) => `${x.kind === 'step' ? x.stepName : 'task'}:${x.from}→${x.to}`),
        ready: c.ready.map((r) => r.stepNames),
        delayed: c.delayed,
      });
      expect(summary(batched.change)).toEqual(summary(single.change));
      const audit = (await store().getTask(batched.taskId))?.transitions.map((x) => x.id);
      expect(batched.change.transitions.map((x) => x.id)).toEqual(audit);
    }
    expect(result.change.transitions.length).toBe(
      singles.reduce((n, s) => n + s.change.transitions.length, 0),
    );
    expect(result.change.ready.map((r) => r.stepNames)).toEqual([['a'], ['after']]);
    // Ready steps of the batch are claimable, in both queues.
    const claimed = (await claim(now)).steps.filter((s) => result.tasks.some((x) => x.taskId === s.task.id));
    expect(claimed.map((s) => s.name).sort()).toEqual(['a', 'after']);
  });

  it('batch: identity keys answer the task that holds them, within the batch and before it', async () => {
    const now = window();
    const held = unique('held');
    const fresh = unique('fresh');
    const windowed = unique('window');
    const before = await store().createTask(task([step('a')], { identityKey: held }), now);
    const { result, names } = await countStatements(() =>
      store().createTasks(
        [
          task([step('a')], { identityKey: held }),
          task([step('a')], { identityKey: fresh }),
          task([step('a')]),
          task([step('a')], { identityKey: fresh }),
          task([step('a')], { identityWindow: { key: windowed, windowMs: 60_000 } }),
          task([step('a')], { identityWindow: { key: windowed, windowMs: 60_000 } }),
        ],
        now + 1,
      ),
    );
    expect(names).toEqual(['create_tasks']);
    const r = result.tasks;
    expect(r.map((x) => x.created)).toEqual([false, true, true, false, true, false]);
    expect(r[0]?.taskId).toBe(before.taskId);
    expect(r[3]?.taskId).toBe(r[1]?.taskId);
    expect(r[5]?.taskId).toBe(r[4]?.taskId);
    expect(new Set(r.map((x) => x.taskId)).size).toBe(4);
    // Only created tasks have a change to publish.
    expect(r.map((x) => x.change.transitions.length > 0)).toEqual([false, true, true, false, true, false]);
    // A second batch: every key is taken now; a window that has ended is taken over.
    const again = await store().createTasks(
      [
        task([step('a')], { identityKey: fresh }),
        task([step('a')], { identityWindow: { key: windowed, windowMs: 60_000 } }),
      ],
      now + 2,
    );
    expect(again.tasks.map((x) => [x.taskId, x.created])).toEqual([
      [r[1]?.taskId, false],
      [r[4]?.taskId, false],
    ]);
    const later = await store().createTasks(
      [task([step('a')], { identityWindow: { key: windowed, windowMs: 60_000 } })],
      now + 60_001,
    );
    expect(later.tasks[0]?.created).toBe(true);
    expect(later.tasks[0]?.taskId === r[4]?.taskId).toBe(false);
  });

  it('batch: a task the database cannot store refuses the batch, naming its index; nothing is written', async () => {
    const now = window();
    const ns = unique('refused');
    const key = unique('key');
    const batch = [
      task([step('a')], { namespace: ns, identityKey: key }),
      task([step('a')], { namespace: ns }),
      task([step('a')], { namespace: ns, context: { note: 'a\u0000b' } }),
    ];
    await expect(store().createTasks(batch, now)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      index: 2,
      message: 'tasks[2]: context.note: contains U+0000 (NUL), which PostgreSQL cannot store',
    });
    expect((await store().listTasks({ namespace: ns })).total).toBe(0);
    // The key of the first task is still free.
    const retried = await store().createTasks(batch.slice(0, 2), now);
    expect(retried.tasks.map((x) => x.created)).toEqual([true, true]);
  });

  it('batch: flow control is stored as for createTask: delayed starts, priorities, concurrency keys', async () => {
    const now = window();
    const key = unique('conc');
    const rateLimit = { key: unique('rate'), limit: 1, periodMs: 1_000, burst: 0 };
    const { tasks } = await store().createTasks(
      [
        task([step('later')], { runAt: now + 5_000 }),
        task([step('delayed')], { delayMs: 2_000 }),
        task([step('low')]),
        task([step('high')], { priority: 7 }),
        task([step('own', { priority: 9 })], { priority: -2 }),
        task([step('c0', { concurrency: { key, limit: 1 } })]),
        task([step('c1', { concurrency: { key, limit: 1 } })]),
        task([step('r0', { rateLimit })]),
        task([step('r1', { rateLimit })]),
      ],
      now,
    );
    expect(tasks[0]?.change.delayed).toBe(true);
    expect(tasks[0]?.change.ready).toEqual([]);
    const first = (await claim(now)).steps.map((s) => s.name);
    // Priority first (own 9, high 7), then the rest; one step of the concurrency key, one of the rate.
    expect(first.slice(0, 2)).toEqual(['own', 'high']);
    const one = (a: string, b: string) => first.filter((n) => n === a || n === b);
    const conc = one('c0', 'c1');
    const rate = one('r0', 'r1');
    expect({ rest: first.slice(2).sort(), conc: conc.length, rate: rate.length }).toEqual({
      rest: ['low', conc[0] as string, rate[0] as string].sort(),
      conc: 1,
      rate: 1,
    });
    // The rate admits the next start a period later; the delayed starts come at their time.
    expect((await claim(now + 999)).steps).toEqual([]);
    expect((await claim(now + 1_000)).steps.map((s) => s.name)).toEqual([rate[0] === 'r0' ? 'r1' : 'r0']);
    expect((await claim(now + 1_999)).steps).toEqual([]);
    expect((await claim(now + 2_000)).steps.map((s) => s.name)).toEqual(['delayed']);
    expect((await claim(now + 4_999)).steps).toEqual([]);
    expect((await claim(now + 5_000)).steps.map((s) => s.name)).toEqual(['later']);
  });
}
