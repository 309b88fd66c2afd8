/**
 * Schedules (issue #14) on PGlite and on PostgreSQL, one process: the suite of
 * `support/schedule-suite.ts`, a worker's own loop firing on the database's clock, a database
 * migrated from the previous release, and (PostgreSQL, two connections) the row lock that keeps
 * two workers from firing one schedule at once.
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createPgliteDriver,
  createPgliteStore,
  createPostgresStore,
  createTasker,
  defineTask,
  MIGRATIONS,
  migrate,
  TaskStore,
} from '../src/index';
import { oneStepTask } from './support/one-step-task';
import { createTestDatabase, describeWithPostgres } from './support/postgres';
import { scheduleSuite } from './support/schedule-suite';
import { until } from './support/until';

const tick = defineTask({
  namespace: 'sched',
  name: 'tick',
  version: '1.0.0',
  contextSchema: z.object({ n: z.number() }),
  steps: [{ name: 'run', handler: async () => 'ran' }],
  schedules: [{ name: 'every-second', cron: '* * * * * *', context: { n: 1 } }],
});

scheduleSuite('PGlite', async () => {
  const db = await PGlite.create();
  const store = await createPgliteStore({ db });
  return {
    store,
    query: (text, params) => db.query(text, params),
    close: async () => {
      await store.close();
      await db.close();
    },
  };
});

describe('schedules on PGlite, on the database clock', () => {
  it("fires from a started worker's own loop, and its tasks run", async () => {
    const tasker = createTasker({ tasks: [tick], config: { schedules: { tickMs: 200 } } });
    try {
      await tasker.start();
      const page = await until(
        'two completed tasks of the schedule',
        () => tasker.listTasks({ state: ['complete'] }),
        (p) => p.total >= 2,
        { intervalMs: 100, tries: 300 },
      );
      expect(page.tasks[0]?.name).toBe('tick');
      expect((await tasker.schedules.get('every-second'))?.fired).toBeGreaterThanOrEqual(2);
    } finally {
      await tasker.stop();
    }
  }, 60_000);

  it('runs on a database filled under the previous migrations', async () => {
    const db = await PGlite.create();
    const driver = await createPgliteDriver({ db });
    try {
      // Every migration but the schedules one (8), whatever else the release adds.
      await migrate(
        driver,
        MIGRATIONS.filter((m) => m.id !== 8),
      );
      const before = new TaskStore(driver);
      await before.createTask(oneStepTask({ namespace: 'old', name: 'task' }), 1_000);
      const store = new TaskStore(driver);
      expect(await store.migrate()).toEqual([8]);
      const tasker = createTasker({ store, tasks: [tick], config: { schedules: { enabled: false } } });
      await tasker.start();
      await new Promise((r) => setTimeout(r, 1_100));
      expect((await tasker.schedules.tick()).fired.length).toBeGreaterThanOrEqual(1);
      expect((await store.listTasks()).total).toBeGreaterThanOrEqual(2);
      await tasker.stop();
    } finally {
      await driver.close();
      await db.close();
    }
  }, 60_000);
});

describeWithPostgres('schedules on PostgreSQL', (database) => {
  scheduleSuite('PostgreSQL', async () => {
    const db = await createTestDatabase(database().url);
    const store = await createPostgresStore({ connectionString: db.url, poolSize: 4 });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    return {
      store,
      query: (text, params) => client.query(text, params),
      close: async () => {
        await client.end();
        await store.close();
        await db.drop();
      },
    };
  });

  it('skips a schedule that another worker holds, without waiting for it, and fires it once released', async () => {
    const db = await createTestDatabase(database().url);
    const store = await createPostgresStore({ connectionString: db.url, poolSize: 4 });
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    const tasker = createTasker({ store, tasks: [tick], config: { schedules: { enabled: false } } });
    try {
      await tasker.start();
      await new Promise((r) => setTimeout(r, 1_100));
      // Another worker's firing transaction holds the row.
      await other.query('begin');
      await other.query("select * from tasker.schedules where name = 'every-second' for update");
      const held = await Promise.race([
        tasker.schedules.tick(),
        new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 5_000)),
      ]);
      expect(held).toEqual({ fired: [], skipped: [], left: [] });
      await other.query('commit');
      expect((await tasker.schedules.tick()).fired.length).toBeGreaterThanOrEqual(1);
    } finally {
      await other.query('rollback').catch(() => {});
      await other.end();
      await tasker.stop();
      await store.close();
      await db.drop();
    }
  }, 60_000);
});
