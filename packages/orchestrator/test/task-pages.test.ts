/**
 * Pages of `listTasks` (issue #12): keyset cursors walk every order exactly as one large page
 * does, ties and unfinished tasks included; a page ends early when its byte budget is spent,
 * and always carries its first row; a cursor from another order, a forged one, or a cursor
 * with an offset is refused with INPUT_INVALID naming the field. On PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPgliteStore,
  createPostgresStore,
  isTaskerError,
  type NewTask,
  type TaskFilter,
  type TaskStore,
} from '../src/index';
import { oneStepTask } from './support/one-step-task';
import { describeWithPostgres } from './support/postgres';

const SORTS = ['createdAt', 'updatedAt', 'completedAt', 'namespace', 'name', 'state'] as const;

const newTask = (i: number, extra: Partial<NewTask> = {}): NewTask =>
  oneStepTask({ namespace: `ns${i % 3}`, name: `t${i % 4}`, context: { i }, ...extra });

async function walk(store: TaskStore, filter: TaskFilter): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1_000; guard++) {
    const page = await store.listTasks({ ...filter, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.tasks.map((t) => t.id));
    pages.push(page.tasks.length);
    cursor = page.nextCursor;
    if (cursor === undefined) return { ids, pages };
  }
  throw new Error('the walk did not end');
}

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (isTaskerError(error) && error.code === 'INPUT_INVALID') return error.message;
    throw error;
  }
  throw new Error('expected INPUT_INVALID');
}

function pageSuite(name: string, open: () => Promise<TaskStore>) {
  describe(name, () => {
    let store: TaskStore;
    beforeAll(async () => {
      store = await open();
      // 24 tasks: created in 8 instants of 3 (ties on created_at), updated and finished at
      // other times; a third are never finished (completed_at null).
      for (let i = 0; i < 24; i++) {
        const at = 1_000_000 + Math.floor(i / 3) * 1_000;
        const { taskId } = await store.createTask(newTask(i, { namespace: 'walk', name: `t${i % 4}` }), at);
        if (i % 3 !== 0) await store.cancelTask(taskId, 2_000_000 - (i % 5) * 1_000);
      }
    }, 60_000);
    afterAll(async () => {
      await store?.close();
    });

    for (const sortBy of SORTS) {
      for (const sortOrder of ['asc', 'desc'] as const) {
        it(`a cursor walk by ${sortBy} ${sortOrder} gives what one page gives`, async () => {
          const filter = { namespace: 'walk', sortBy, sortOrder } as const;
          const all = await store.listTasks({ ...filter, limit: 500 });
          expect(all.tasks).toHaveLength(24);
          expect(all.nextCursor).toBeUndefined();
          const { ids, pages } = await walk(store, { ...filter, limit: 5 });
          expect(ids).toEqual(all.tasks.map((t) => t.id));
          expect(pages).toEqual([5, 5, 5, 5, 4]);
        });
      }
    }

    it('ends a page when its byte budget is spent, always with its first row', async () => {
      const blob = 'x'.repeat(100 * 1024);
      for (let i = 0; i < 10; i++) {
        await store.createTask(newTask(i, { namespace: 'big', context: { i, blob } }), 5_000_000 + i);
      }
      const filter = { namespace: 'big', include: 'context', limit: 100 } as const;
      const budgeted = await walk(store, { ...filter, maxBytes: 350 * 1024 });
      expect(budgeted.pages).toEqual([3, 3, 3, 1]);
      expect(budgeted.ids).toEqual(
        (await store.listTasks({ ...filter, maxBytes: 2 ** 30 })).tasks.map((t) => t.id),
      );
      // Larger than the budget: one row a page, never none.
      expect((await walk(store, { ...filter, maxBytes: 1_000 })).pages).toEqual(Array(10).fill(1));
      // Summaries cost little: one page.
      const summaries = await store.listTasks({ namespace: 'big', maxBytes: 350 * 1024 });
      expect(summaries.tasks).toHaveLength(10);
      expect(summaries.tasks[0]).not.toHaveProperty('context');
      const full = await store.listTasks({ ...filter, limit: 1 });
      expect(full.tasks[0]).toMatchObject({ context: { i: 9, blob }, annotations: {} });
      expect(full.total).toBe(10);
    });

    it("keeps a task's details to a byte budget, naming what it left out", async () => {
      const blob = 'y'.repeat(60 * 1024);
      const steps = ['a', 'b', 'c', 'd'].map((name) => ({
        name,
        handler: name,
        retryable: true,
        retryLimit: 0,
        timeoutMs: undefined,
        skippable: false,
        dependsOn: [],
        inputs: { blob },
      }));
      const { taskId } = await store.createTask(
        newTask(0, { namespace: 'detail', context: { blob }, steps }),
        7_000_000,
      );
      const whole = await store.getTask(taskId);
      expect(whole?.omitted).toBeUndefined();
      expect(whole?.steps.every((s) => (s.inputs as { blob: string }).blob === blob)).toBe(true);
      // 200 KiB: the context (60 KiB) fits its quarter (50 KiB)? No; steps get 100 KiB: one fits.
      const bounded = await store.getTask(taskId, { maxBytes: 200 * 1024 });
      expect(bounded?.context).toBeNull();
      expect(bounded?.steps.map((s) => s.inputs === null)).toEqual([false, true, true, true]);
      expect(bounded?.omitted?.map((o) => o.field)).toEqual(['context', 'steps[b]', 'steps[c]', 'steps[d]']);
      expect(bounded?.omitted?.[0]?.bytes).toBeGreaterThan(60 * 1024);
      // Transitions: the newest ones that fit, the rest counted.
      const tiny = await store.getTask(taskId, { maxBytes: 800 });
      expect(tiny?.transitions.length).toBeLessThan(whole?.transitions.length ?? 0);
      expect(tiny?.omitted?.at(-1)).toEqual({
        field: 'transitions',
        count: (whole?.transitions.length ?? 0) - (tiny?.transitions.length ?? 0),
      });
      expect(tiny?.transitions.at(-1)?.id).toBe(whole?.transitions.at(-1)?.id);
      // Enough room: nothing left out.
      expect((await store.getTask(taskId, { maxBytes: 4 * 1024 * 1024 }))?.omitted).toEqual([]);
    });

    it('refuses a cursor from another order, a forged one, and a cursor with an offset', async () => {
      const first = await store.listTasks({ namespace: 'walk', limit: 2 });
      const cursor = first.nextCursor as string;
      expect(await refusal(() => store.listTasks({ cursor, sortBy: 'name' }))).toMatch(
        /^cursor: was made for/,
      );
      expect(await refusal(() => store.listTasks({ cursor, sortOrder: 'asc' }))).toMatch(/^cursor:/);
      expect(await refusal(() => store.listTasks({ cursor, offset: 2 }))).toMatch(/^offset:/);
      for (const forged of [
        'not a cursor!',
        Buffer.from('[1,2,3]').toString('base64url'),
        Buffer.from('["createdAt","desc",null,1.5,"00000000-0000-4000-8000-000000000000"]').toString(
          'base64url',
        ),
        Buffer.from('["createdAt","desc",null,1,"\'; drop table tasker.tasks"]').toString('base64url'),
        Buffer.from('["name","desc","\\u0000",1,"00000000-0000-4000-8000-000000000000"]').toString(
          'base64url',
        ),
        Buffer.from('["updatedAt","desc","1e9",1,"00000000-0000-4000-8000-000000000000"]').toString(
          'base64url',
        ),
      ]) {
        const sortBy = forged.startsWith(Buffer.from('["name"').toString('base64url').slice(0, 8))
          ? 'name'
          : undefined;
        expect(
          await refusal(() => store.listTasks({ cursor: forged, ...(sortBy ? { sortBy } : {}) })),
        ).toMatch(/^cursor:/);
      }
    });
  });
}

pageSuite('pages on PGlite', () => createPgliteStore());

describeWithPostgres('pages on PostgreSQL', (database) => {
  pageSuite('pages on PostgreSQL', () =>
    createPostgresStore({ connectionString: database().url, poolSize: 2 }),
  );
});
