/**
 * The store contract: one suite that every store runs (PGlite and PostgreSQL here; a third
 * driver would run it too). It takes the test functions as arguments, so it loads from
 * CommonJS as well as ESM (vitest cannot be imported from CommonJS).
 */
import type { NewStep, NewTask, TaskStore } from '../store/task-store';
import { runBatchContract } from './batch-contract';
import type { ContractTestApi } from './contract-test-api';
import { runFlowContract } from './flow-contract';
import { runScheduleContract } from './schedule-contract';

/** What the suite needs to know about the store under test. */
export interface StoreContractSubject {
  readonly name: string;
  /** Makes a migrated, empty store; called once for the whole suite. */
  readonly create: () => Promise<TaskStore>;
  /**
   * Opens a connection to the store's database apart from the store's own, for the cases that
   * hold a transaction open while the store works. Leave it out for a store with a single
   * connection (PGlite queues every statement behind an open transaction): those cases do not
   * apply and are not registered.
   */
  readonly openSession?: () => Promise<ContractSession>;
}

/** A database connection of the test's own (for example a `pg.Client`). */
export interface ContractSession {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  close(): Promise<void>;
}

/** How long a case holds another transaction's locks at most, waiting for the store. */
const HOLD_MS = 10_000;

const step = (name: string, dependsOn: string[] = [], extra: Partial<NewStep> = {}): NewStep => ({
  name,
  handler: name,
  retryable: true,
  retryLimit: 2,
  timeoutMs: undefined,
  skippable: false,
  dependsOn,
  ...extra,
});

let counter = 0;
const task = (steps: NewStep[], extra: Partial<NewTask> = {}): NewTask => ({
  namespace: 'contract',
  name: `t${++counter}`,
  version: '1.0.0',
  context: { n: counter },
  tags: [],
  annotations: {},
  bypassSteps: [],
  steps,
  ...extra,
});

/** Registers the store contract suite. */
export function runStoreContract(t: ContractTestApi, subject: StoreContractSubject): void {
  const { describe, it, beforeAll, afterAll, afterEach, expect } = t;
  // A case that needs a second connection: registered only for a store that has more than one
  // (with one connection, every statement queues behind an open transaction: the case does not
  // apply, and a skipped test would fail a CI that counts skips as failures).
  const withSession = (name: string, body: (open: () => Promise<ContractSession>) => Promise<void>) => {
    const open = subject.openSession;
    if (open !== undefined) it(name, () => body(open), HOLD_MS * 3);
  };
  describe(`store contract: ${subject.name}`, () => {
    let store: TaskStore;
    beforeAll(async () => {
      store = await subject.create();
    }, 60_000);
    afterAll(async () => {
      await store?.close();
    });
    // Tests share one database: cancel whatever a test left running, so that its ready steps
    // are never claimed by the next test.
    afterEach(async () => {
      const open = await store.listTasks({ state: ['pending', 'in_progress', 'error'], limit: 500 });
      for (const x of open.tasks) await store.cancelTask(x.id, epoch);
    });

    // Every test uses its own time window so that steps of other tests are never ready.
    let epoch = 1_000_000;
    const window = () => {
      epoch += 10_000_000;
      return epoch;
    };
    const claimAll = async (now: number) => store.claim('w1', now, 100, 30_000);

    it('migrates idempotently', async () => {
      expect(await store.migrate()).toBeDefined();
    });

    it('creates a task with root steps ready and records creation transitions', async () => {
      const now = window();
      const { taskId, created, change } = await store.createTask(
        task([step('a'), step('b', ['a'])]),
        now - 1,
      );
      expect(created).toBe(true);
      expect(change.ready[0]?.stepNames).toEqual(['a']);
      const details = await store.getTask(taskId);
      expect(details?.state).toBe('in_progress');
      expect(details?.steps.map((s) => [s.name, s.state, s.dependsOn])).toEqual([
        ['a', 'pending', []],
        ['b', 'pending', ['a']],
      ]);
      expect(details?.transitions.map((x) => `${x.stepName ?? 'task'}:${x.from}→${x.to}`)).toEqual([
        'task:null→pending',
        'task:pending→in_progress',
        'a:null→pending',
        'b:null→pending',
      ]);
      const claimed = await claimAll(now);
      expect(claimed.map((c) => c.name)).toEqual(['a']);
    });

    it('claims each ready step once across concurrent claimers (skip locked)', async () => {
      const now = window();
      const steps = Array.from({ length: 30 }, (_, i) => step(`s${i}`));
      await store.createTask(task(steps), now - 1);
      const batches = await Promise.all([1, 2, 3].map((w) => store.claim(`w${w}`, now, 12, 30_000)));
      const ids = batches.flat().map((c) => c.id);
      expect(ids.length).toBe(30);
      expect(new Set(ids).size).toBe(30);
      expect(batches.flat().every((c) => c.attempt === 1 && c.fromState === 'pending')).toBe(true);
    });

    withSession(
      'claims other ready steps while another claimer holds its rows in an open transaction (skip locked)',
      async (open) => {
        const now = window();
        const names = (prefix: string) => Array.from({ length: 5 }, (_, i) => step(`${prefix}${i}`));
        const held = await store.createTask(task(names('held')), now - 1);
        const free = await store.createTask(task(names('free')), now - 1);
        const session = await open();
        try {
          // The other claimer: its transaction holds the lock a claim takes on the rows it claims.
          await session.query('begin');
          const locked = await session.query(
            'select id from tasker.steps where task_id = $1 order by id for no key update',
            [held.taskId],
          );
          expect(locked.rows.length).toBe(5);
          // A batch as large as everything ready, so the claim must pass the locked rows.
          let holding = true;
          const claiming = store
            .claim('w2', now, 10, 30_000)
            .then((claimed) => ({ claimed, whileHeld: holding }));
          let timer: ReturnType<typeof setTimeout> | undefined;
          const first = await Promise.race([
            claiming,
            new Promise<undefined>((resolve) => {
              timer = setTimeout(() => resolve(undefined), HOLD_MS);
            }),
          ]);
          clearTimeout(timer);
          holding = false;
          await session.query('rollback');
          const { claimed, whileHeld } = first ?? (await claiming);
          expect(
            whileHeld
              ? 'claimed while the other transaction was open'
              : `waited until the other transaction rolled back (held ${HOLD_MS} ms)`,
          ).toBe('claimed while the other transaction was open');
          expect(
            claimed.map((c) => `${c.task.id === free.taskId ? 'free' : 'held'}:${c.name}`).sort(),
          ).toEqual(['free0', 'free1', 'free2', 'free3', 'free4'].map((n) => `free:${n}`));
        } finally {
          await session.close();
        }
      },
    );

    it('completes a step, makes its children ready in SQL and hands them the parent results', async () => {
      const now = window();
      const { taskId } = await store.createTask(task([step('a'), step('b'), step('c', ['a', 'b'])]), now - 1);
      const roots = await claimAll(now);
      const a = roots.find((x) => x.name === 'a');
      const b = roots.find((x) => x.name === 'b');
      const first = await store.settle(
        [{ kind: 'complete', stepId: a!.id, token: a!.token, result: { a: 1 } }],
        now + 1,
      );
      expect(first.change.ready).toEqual([]);
      const second = await store.settle(
        [{ kind: 'complete', stepId: b!.id, token: b!.token, result: 'b!' }],
        now + 2,
      );
      expect(second.change.ready[0]?.stepNames).toEqual(['c']);
      const [c] = await claimAll(now + 3);
      expect(c?.name).toBe('c');
      expect(c?.parentResults).toEqual({ a: { a: 1 }, b: 'b!' });
      const done = await store.settle(
        [{ kind: 'complete', stepId: c!.id, token: c!.token, result: null }],
        now + 4,
      );
      expect(done.change.transitions.map((x) => `${x.kind}:${x.from}→${x.to}`)).toEqual([
        'step:in_progress→complete',
        'task:in_progress→complete',
      ]);
      const details = await store.getTask(taskId);
      expect(details?.state).toBe('complete');
      expect(details?.completedAt).toBe(now + 4);
    });

    it('fences a stale token and lets another worker take over an expired lease', async () => {
      const now = window();
      const { taskId } = await store.createTask(task([step('a')]), now - 1);
      const [first] = await store.claim('dead', now, 10, 1_000);
      expect(await store.claim('w2', now + 999, 10, 1_000)).toEqual([]);
      const [second] = await store.claim('w2', now + 1_000, 10, 1_000);
      expect(second?.id).toBe(first?.id);
      expect(second?.fromState).toBe('in_progress');
      expect(second?.token).toBeGreaterThan(first!.token);
      const late = await store.settle(
        [{ kind: 'complete', stepId: first!.id, token: first!.token, result: 'late' }],
        now + 1_001,
      );
      expect(late.fenced).toEqual([first!.id]);
      expect(late.change.transitions).toEqual([]);
      await store.settle(
        [{ kind: 'complete', stepId: second!.id, token: second!.token, result: 'ok' }],
        now + 1_002,
      );
      const details = await store.getTask(taskId);
      expect(details?.steps[0]?.results).toBe('ok');
      const completions = details?.transitions.filter((x) => x.to === 'complete' && x.stepName === 'a');
      expect(completions?.length).toBe(1);
      expect(details?.transitions.filter((x) => x.reason === 'lease_expired').length).toBe(1);
    });

    it('keeps a renewed lease and reports a lost one', async () => {
      const now = window();
      await store.createTask(task([step('a')]), now - 1);
      const [a] = await store.claim('w1', now, 10, 1_000);
      expect(await store.renewLeases([{ id: a!.id, token: a!.token }], now + 900, 1_000)).toEqual(
        new Set([a!.id]),
      );
      expect(await store.claim('w2', now + 1_500, 10, 1_000)).toEqual([]);
      expect(await store.renewLeases([{ id: a!.id, token: a!.token + 1 }], now + 1_600, 1_000)).toEqual(
        new Set(),
      );
    });

    it('retries a retryable failure at now + delay until the limit, then errors the task', async () => {
      const now = window();
      const { taskId } = await store.createTask(task([step('a', [], { retryLimit: 1 })]), now - 1);
      const error = { name: 'Error', message: 'boom' };
      const [a1] = await claimAll(now);
      const r1 = await store.settle(
        [{ kind: 'fail', stepId: a1!.id, token: a1!.token, error, retryable: true, delayMs: 500 }],
        now,
      );
      expect(r1.change.transitions[0]).toMatchObject({
        to: 'waiting_for_retry',
        nextAttemptAt: now + 500,
        backoffMs: 500,
      });
      expect(await claimAll(now + 499)).toEqual([]);
      const [a2] = await claimAll(now + 500);
      expect(a2?.attempt).toBe(2);
      expect(a2?.fromState).toBe('waiting_for_retry');
      const r2 = await store.settle(
        [{ kind: 'fail', stepId: a2!.id, token: a2!.token, error, retryable: true, delayMs: 500 }],
        now + 600,
      );
      expect(r2.change.transitions.map((x) => `${x.kind}:${x.to}`)).toEqual(['step:error', 'task:error']);
      expect(r2.change.transitions[0]).toMatchObject({ exhausted: true });
      expect((await store.getTask(taskId))?.state).toBe('error');

      const retried = await store.retryStep(a2!.id, now + 700, { reason: 'fixed', actor: 'ops' });
      expect(retried.transitions.map((x) => `${x.kind}:${x.from}→${x.to}`)).toEqual([
        'step:error→pending',
        'task:error→in_progress',
      ]);
      const [a3] = await claimAll(now + 700);
      expect(a3?.attempt).toBe(1);
    });

    it('errors at once on a permanent failure and never claims the rest of an errored task', async () => {
      const now = window();
      await store.createTask(task([step('a'), step('b', ['a']), step('c')]), now - 1);
      const claimed = await claimAll(now);
      const a = claimed.find((c) => c.name === 'a')!;
      const r = await store.settle(
        [
          {
            kind: 'fail',
            stepId: a.id,
            token: a.token,
            error: { name: 'E', message: 'no' },
            retryable: false,
            delayMs: 0,
          },
        ],
        now,
      );
      expect(r.change.transitions.map((x) => x.to)).toEqual(['error', 'error']);
      expect(r.change.transitions[0]).toMatchObject({ exhausted: false });
    });

    it('settles a batch across tasks at once: a completion, a retry and a permanent failure', async () => {
      const now = window();
      const x = await store.createTask(task([step('a'), step('b'), step('c', ['a', 'b'])]), now - 1);
      const y = await store.createTask(task([step('y')]), now - 1);
      const z = await store.createTask(task([step('z'), step('z2', ['z'])]), now - 1);
      const claimed = await claimAll(now);
      const by = (n: string) => claimed.find((c) => c.name === n)!;
      const error = { name: 'E', message: 'no' };
      const r = await store.settle(
        [
          { kind: 'complete', stepId: by('a').id, token: by('a').token, result: 'a' },
          { kind: 'fail', stepId: by('b').id, token: by('b').token, error, retryable: false, delayMs: 0 },
          { kind: 'complete', stepId: by('y').id, token: by('y').token, result: 'y' },
          { kind: 'fail', stepId: by('z').id, token: by('z').token, error, retryable: true, delayMs: 250 },
        ],
        now + 1,
      );
      expect(r.fenced).toEqual([]);
      const steps = r.change.transitions.filter((t) => t.kind === 'step');
      expect(steps.map((t) => `${t.stepName}:${t.from}→${t.to}`)).toEqual([
        'a:in_progress→complete',
        'b:in_progress→error',
        'y:in_progress→complete',
        'z:in_progress→waiting_for_retry',
      ]);
      expect(steps[3]).toMatchObject({ nextAttemptAt: now + 251, backoffMs: 250 });
      const tasks = r.change.transitions.filter((t) => t.kind === 'task');
      expect(tasks.map((t) => [t.task.id, `${t.from}→${t.to}`]).sort()).toEqual(
        [
          [x.taskId, 'in_progress→error'],
          [y.taskId, 'in_progress→complete'],
        ].sort(),
      );
      // c still waits for b, which failed; nothing became ready.
      expect(r.change.ready).toEqual([]);
      const tx = await store.getTask(x.taskId);
      expect(tx?.steps.map((s) => s.state)).toEqual(['complete', 'error', 'pending']);
      expect((await store.getTask(y.taskId))?.completedAt).toBe(now + 1);
      expect((await store.getTask(z.taskId))?.state).toBe('in_progress');
      // The audit trail holds the batch's transitions once each.
      const trail = [...(tx?.transitions ?? [])].filter((t) => t.at === now + 1);
      expect(trail.map((t) => `${t.stepName ?? 'task'}:${t.to}`)).toEqual([
        'a:complete',
        'b:error',
        'task:error',
      ]);
      expect(trail[1]?.metadata).toMatchObject({ error, attempt: 1 });
      expect(trail[2]?.metadata).toMatchObject({ error });
    });

    it('skips bypassed steps and counts them as satisfied', async () => {
      const now = window();
      const { taskId } = await store.createTask(
        task([step('a', [], { skippable: true }), step('b', ['a'])], { bypassSteps: ['a'] }),
        now - 1,
      );
      const [b] = await claimAll(now);
      expect(b?.name).toBe('b');
      expect(b?.parentResults).toEqual({});
      await store.settle([{ kind: 'complete', stepId: b!.id, token: b!.token, result: 1 }], now);
      const details = await store.getTask(taskId);
      expect(details?.state).toBe('complete');
      expect(details?.steps.map((s) => s.state)).toEqual(['skipped', 'complete']);
    });

    it('resolves a step by hand, releasing its children with the given result', async () => {
      const now = window();
      const { taskId } = await store.createTask(task([step('a'), step('b', ['a'])]), now - 1);
      const [a] = await claimAll(now);
      await store.settle(
        [
          {
            kind: 'fail',
            stepId: a!.id,
            token: a!.token,
            error: { name: 'E', message: 'x' },
            retryable: false,
            delayMs: 0,
          },
        ],
        now,
      );
      const change = await store.resolveStep(a!.id, now + 1, { result: { manual: true }, actor: 'ops' });
      expect(change.transitions.map((x) => `${x.kind}:${x.from}→${x.to}`)).toEqual([
        'step:error→resolved_manually',
        'task:error→in_progress',
      ]);
      const [b] = await claimAll(now + 2);
      expect(b?.parentResults).toEqual({ a: { manual: true } });
      await store.settle([{ kind: 'complete', stepId: b!.id, token: b!.token, result: 2 }], now + 3);
      expect((await store.getTask(taskId))?.state).toBe('complete');
      await expect(store.resolveStep(a!.id, now + 4)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    });

    it('cancels a step with its descendants, and the task', async () => {
      const now = window();
      const { taskId } = await store.createTask(
        task([step('a'), step('b', ['a']), step('c', ['b']), step('d')]),
        now - 1,
      );
      const details = await store.getTask(taskId);
      const a = details!.steps.find((s) => s.name === 'a')!;
      const change = await store.cancelStep(a.id, now, { reason: 'not needed' });
      expect(change.transitions.map((x) => `${x.kind === 'step' ? x.stepName : 'task'}:${x.to}`)).toEqual([
        'a:cancelled',
        'b:cancelled',
        'c:cancelled',
        'task:cancelled',
      ]);
      const after = await store.getTask(taskId);
      expect(after?.steps.map((s) => s.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'pending']);
      expect(await claimAll(now)).toEqual([]);
      await expect(store.cancelTask(taskId, now)).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
    });

    it('refuses values PostgreSQL cannot store with INPUT_INVALID, naming the field, and writes nothing', async () => {
      const now = window();
      const ns = `storable${now}`;
      const refused = async (body: () => Promise<unknown>): Promise<string> => {
        try {
          await body();
        } catch (error) {
          expect((error as { code?: string }).code).toBe('INPUT_INVALID');
          return (error as Error).message;
        }
        throw new Error('expected INPUT_INVALID');
      };
      // The message starts with the field and what is wrong (shown whole when it does not).
      const startsWith = (message: string, prefix: string) =>
        expect(message.startsWith(prefix) ? prefix : message).toBe(prefix);
      const deep: unknown[] = [];
      let inner = deep;
      for (let i = 0; i < 100_000; i++) {
        const next: unknown[] = [];
        inner.push(next);
        inner = next;
      }
      const cases: [Partial<NewTask>, string][] = [
        [{ context: { order: { id: 'a\u0000b' } } }, 'context.order.id: contains U+0000'],
        [{ context: { 'k\ud800': 1 } }, 'context["k\ufffd"]: (a key) contains a lone UTF-16 surrogate'],
        [{ context: { deep } }, 'context.deep'],
        [{ initiator: '\u0000' }, 'initiator: contains U+0000'],
        [{ sourceSystem: 'x\udfff' }, 'source_system: contains a lone UTF-16 surrogate'],
        [{ reason: 'r\u0000' }, 'reason: contains U+0000'],
        [{ tags: ['ok', 'b\u0000d'] }, 'tags[1]: contains U+0000'],
        [{ annotations: { note: '\ud800' } }, 'annotations.note: contains a lone UTF-16 surrogate'],
        [{ identityKey: 'id\u0000' }, 'identity_key: contains U+0000'],
      ];
      for (const [extra, message] of cases) {
        startsWith(
          await refused(() => store.createTask(task([step('a')], { namespace: ns, ...extra }), now)),
          message,
        );
      }
      expect((await store.listTasks({ namespace: ns })).total).toBe(0);
      startsWith(
        await refused(() => store.listTasks({ namespace: 'ns\u0000' })),
        'namespace: contains U+0000',
      );
      startsWith(await refused(() => store.listTasks({ tags: ['\ud800'] })), 'tags[0]:');
      const { taskId } = await store.createTask(task([step('a')], { namespace: ns }), now);
      startsWith(await refused(() => store.updateTask(taskId, { reason: 'x\u0000' }, now)), 'reason:');
      startsWith(
        await refused(() => store.updateTask(taskId, { annotations: { a: { b: '\u0000' } } }, now)),
        'annotations.a.b:',
      );
      const [a] = await claimAll(now);
      startsWith(
        await refused(() => store.resolveStep(a!.id, now, { result: { r: '\udc00' } })),
        'result.r:',
      );
      startsWith(await refused(() => store.cancelTask(taskId, now, { reason: '\u0000' })), 'reason:');
      expect((await store.getTask(taskId))?.state).toBe('in_progress');
    });

    it('returns the existing task for a known identity key', async () => {
      const now = window();
      const input = task([step('a')], { identityKey: `key-${now}` });
      const first = await store.createTask(input, now);
      const second = await store.createTask(input, now + 1);
      expect(second).toMatchObject({ taskId: first.taskId, created: false });
    });

    it('lists tasks by namespace, state, tags and annotations, with pagination', async () => {
      const now = window();
      const ns = `list${now}`;
      for (let i = 0; i < 5; i++) {
        await store.createTask(
          task([step('a')], {
            namespace: ns,
            tags: i % 2 === 0 ? ['even', 'x'] : ['odd'],
            annotations: { ticket: { id: i } },
          }),
          now + i,
        );
      }
      const all = await store.listTasks({ namespace: ns, limit: 2 });
      expect(all.total).toBe(5);
      expect(all.tasks.length).toBe(2);
      expect(all.tasks[0]!.createdAt).toBe(now + 4);
      const page3 = await store.listTasks({ namespace: ns, limit: 2, offset: 4 });
      expect(page3.tasks.map((x) => x.createdAt)).toEqual([now]);
      expect((await store.listTasks({ namespace: ns, tags: ['even', 'x'] })).total).toBe(3);
      expect((await store.listTasks({ namespace: ns, annotations: { ticket: { id: 3 } } })).total).toBe(1);
      expect(
        (await store.listTasks({ namespace: ns, annotationType: 'ticket', state: 'complete' })).total,
      ).toBe(0);
      const [first] = all.tasks;
      expect(
        await store.updateTask(first!.id, { tags: ['vip'], annotations: { note: 'hi' } }, now + 10),
      ).toBe(true);
      expect(
        (await store.listTasks({ namespace: ns, tags: ['vip'], include: 'context' })).tasks[0]?.annotations,
      ).toEqual({
        ticket: { id: 4 },
        note: 'hi',
      });
    });

    it('reads its own clock', async () => {
      const a = await store.databaseNow();
      expect(Math.abs(a - Date.now())).toBeLessThan(60_000);
    });

    runFlowContract(t, () => store, window);
    runScheduleContract(t, () => store, window, subject.openSession);
    runBatchContract(t, () => store, window);
  });
}
