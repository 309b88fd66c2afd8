/**
 * Flow control through the engine (issue #14), on PGlite and PostgreSQL, with a manual clock:
 * a delayed start, a concurrency key and a rate limit each hold a ready step back with the
 * waiting reason the step shows and the count `/health/status` reports, and let it run once
 * the clock or a finished step allows; submits and definitions with bad settings are refused
 * naming the field.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createManualClock,
  createPgliteStore,
  createPostgresStore,
  createTasker,
  defineTask,
  type StepHandler,
  type TaskDefinitionInput,
  type TaskStore,
} from '../src/index';
import { describeWithPostgres } from './support/postgres';
import { until } from './support/until';

function flowSuite(name: string, makeStore: () => Promise<TaskStore>) {
  describe(`flow control through the engine (${name})`, () => {
    let seq = 0;
    async function boot(def: Omit<TaskDefinitionInput, 'namespace'>) {
      const store = await makeStore();
      const clock = createManualClock(1_800_000_000_000 + ++seq * 10_000_000);
      const tasker = createTasker({
        store,
        tasks: [defineTask({ ...def, namespace: `flow${seq}` })],
        clock,
        config: {
          engine: { pollIntervalMs: 20, tickIntervalMs: 5, leaseMs: 30_000 },
          execution: { concurrency: 4 },
        },
        onError: (error, during) => console.warn(`[flow tasker] ${during}:`, error),
      });
      await tasker.start();
      const held = async () => (await store.insights.healthFigures(clock.now(), clock.now() - 60_000)).held;
      return { tasker, clock, store, namespace: `flow${seq}`, held };
    }
    const stepOf = async (tasker: Awaited<ReturnType<typeof boot>>['tasker'], taskId: string) =>
      (await tasker.getTask(taskId))?.steps[0];

    it('a delayed start: the step waits, "scheduled for" its runAt, and runs once the clock passes it', async () => {
      const { tasker, clock, namespace, held, store } = await boot({
        name: 'later',
        version: '1.0.0',
        steps: [{ name: 'go', handler: async () => 'done' }],
      });
      try {
        const runAt = clock.now() + 60_000;
        const { taskId } = await tasker.submit({
          namespace,
          name: 'later',
          version: '1.0.0',
          context: {},
          runAt,
        });
        const step = await stepOf(tasker, taskId);
        expect(step?.waitingReason).toEqual({
          code: 'scheduled',
          message: `scheduled for ${new Date(runAt).toISOString()}`,
          until: runAt,
        });
        expect((await tasker.getTask(taskId))?.runAt).toBe(runAt);
        expect(await held()).toEqual({ scheduled: 1, concurrency: 0, rateLimited: 0 });
        // Workers claim again and again meanwhile; none takes it early.
        await new Promise((r) => setTimeout(r, 200));
        expect((await stepOf(tasker, taskId))?.state).toBe('pending');
        clock.advance(60_000);
        const done = await tasker.waitFor(taskId, { timeoutMs: 20_000 });
        expect(done.state).toBe('complete');
        const started = done.steps[0]?.startedAt ?? 0;
        expect(started).toBeGreaterThanOrEqual(runAt);
        expect(await held()).toEqual({ scheduled: 0, concurrency: 0, rateLimited: 0 });
      } finally {
        await tasker.stop();
        await store.close();
      }
    });

    it('a concurrency key: the second step is parked, "waiting for concurrency key … (1/1)", until the first ends', async () => {
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const handler: StepHandler = async () => {
        await gate;
        return 'ok';
      };
      const { tasker, namespace, held, store } = await boot({
        name: 'serial',
        version: '1.0.0',
        contextSchema: z.object({ customer: z.string() }),
        concurrency: { key: 'context.customer', limit: 1 },
        steps: [{ name: 'work', handler }],
      });
      try {
        const submit = () =>
          tasker.submit({ namespace, name: 'serial', version: '1.0.0', context: { customer: 'c-7' } });
        const first = await submit();
        await until(
          'the first step running',
          () => stepOf(tasker, first.taskId),
          (s) => s?.state === 'in_progress',
        );
        const second = await submit();
        const parked = await until(
          'the second step parked',
          () => stepOf(tasker, second.taskId),
          (s) => s?.hold === 'concurrency',
        );
        expect(parked?.concurrency).toEqual({ key: 'context.customer=c-7', limit: 1 });
        expect(parked?.waitingReason).toEqual({
          code: 'concurrency',
          message: 'waiting for concurrency key context.customer=c-7 (1/1)',
        });
        expect(await held()).toEqual({ scheduled: 0, concurrency: 1, rateLimited: 0 });
        // Another customer is not held by c-7's limit.
        const other = await tasker.submit({
          namespace,
          name: 'serial',
          version: '1.0.0',
          context: { customer: 'c-8' },
        });
        await until(
          'the other customer running',
          () => stepOf(tasker, other.taskId),
          (s) => s?.state === 'in_progress',
        );
        expect((await stepOf(tasker, second.taskId))?.state).toBe('pending');
        open();
        for (const id of [first.taskId, second.taskId, other.taskId])
          expect((await tasker.waitFor(id, { timeoutMs: 20_000 })).state).toBe('complete');
        const a = (await tasker.getTask(first.taskId))?.steps[0];
        const b = (await tasker.getTask(second.taskId))?.steps[0];
        expect(b?.startedAt ?? 0).toBeGreaterThanOrEqual(a?.endedAt ?? Number.POSITIVE_INFINITY);
      } finally {
        open();
        await tasker.stop();
        await store.close();
      }
    });

    it('a rate limit: the second start is "rate limited until" the next period, then runs', async () => {
      const { tasker, clock, namespace, held, store } = await boot({
        name: 'metered',
        version: '1.0.0',
        rateLimit: { key: 'partner-api', limit: 1, periodMs: 60_000 },
        steps: [{ name: 'call', handler: async () => 'ok' }],
      });
      try {
        const start = clock.now();
        const submit = () => tasker.submit({ namespace, name: 'metered', version: '1.0.0', context: {} });
        const first = await submit();
        expect((await tasker.waitFor(first.taskId, { timeoutMs: 20_000 })).state).toBe('complete');
        const second = await submit();
        const step = await until(
          'the second start put back',
          () => stepOf(tasker, second.taskId),
          (s) => s?.hold === 'rate',
        );
        expect(step?.waitingReason).toEqual({
          code: 'rate_limited',
          message: `rate limited until ${new Date(start + 60_000).toISOString()}`,
          until: start + 60_000,
        });
        expect(await held()).toEqual({ scheduled: 0, concurrency: 0, rateLimited: 1 });
        clock.advance(60_000);
        const done = await tasker.waitFor(second.taskId, { timeoutMs: 20_000 });
        expect(done.steps[0]?.startedAt).toBe(start + 60_000);
      } finally {
        await tasker.stop();
        await store.close();
      }
    });

    it('refuses bad flow settings, naming the field', async () => {
      const { tasker, namespace, store } = await boot({
        name: 'keyed',
        version: '1.0.0',
        concurrency: { key: 'context.account.id', limit: 2 },
        steps: [{ name: 'a', handler: async () => 1 }],
      });
      try {
        const base = { namespace, name: 'keyed', version: '1.0.0', context: { account: { id: 7 } } };
        await expect(tasker.submit({ ...base, runAt: Date.now(), delay: 5 })).rejects.toMatchObject({
          code: 'SUBMIT_INVALID',
          message: expect.stringContaining('runAt, delay'),
        });
        await expect(tasker.submit({ ...base, priority: 1001 })).rejects.toMatchObject({
          code: 'SUBMIT_INVALID',
          message: expect.stringContaining('priority'),
        });
        await expect(tasker.submit({ ...base, runAt: '2026-13-01' })).rejects.toMatchObject({
          code: 'SUBMIT_INVALID',
          message: expect.stringContaining('runAt'),
        });
        await expect(tasker.submit({ ...base, context: { account: {} } })).rejects.toMatchObject({
          code: 'CONTEXT_INVALID',
          message: expect.stringContaining('account.id'),
        });
        expect((await tasker.submit(base)).created).toBe(true);
      } finally {
        await tasker.stop();
        await store.close();
      }
      for (const [field, value] of [
        ['concurrency', { key: 'x', limit: 0 }],
        ['rateLimit', { key: 'x', limit: 5, burst: -1 }],
        ['priority', 2.5],
        ['concurrency', { key: 'context.', limit: 1 }],
      ] as const) {
        expect(() =>
          defineTask({ name: 'bad', steps: [{ name: 'a', handler: 'a', [field]: value }] }),
        ).toThrow(new RegExp(`steps\\.0\\.${field}`));
      }
    });
  });
}

flowSuite('PGlite', () => createPgliteStore());

describeWithPostgres('flow control (PostgreSQL)', (database) => {
  flowSuite('PostgreSQL', () => createPostgresStore({ connectionString: database().url, poolSize: 4 }));
});
