import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker } from '../../src/index';
import { describeWithPostgres } from '../support/postgres';
import { SIDE_EFFECTS_DDL, WorkerProcesses } from '../support/worker-processes';
import { multiProcessTask } from './task';

describeWithPostgres('two engine processes on one database', (database) => {
  const workers = new WorkerProcesses();
  afterAll(() => workers.killAll());

  it('runs 1,100 steps with exactly one completion each, shared by both processes', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(SIDE_EFFECTS_DDL);
      const submitter = createTasker({
        store,
        tasks: [multiProcessTask],
        handlers: { work: async () => null },
      });
      // Both processes are ready before the first task exists, so both compete for every step:
      // on a fast server (an embedded one with fsync off) a process started first could run
      // the whole batch before the second one is up.
      const env = { TASKER_MP_DATABASE_URL: url };
      const started = await Promise.all([workers.start(env), workers.start(env)]);
      for (let i = 0; i < 100; i++)
        await submitter.submit({ namespace: 'mp', name: 'fanout', version: '1.0.0', context: { i } });
      for (let i = 0; i < 1_200; i++) {
        const done = await store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 });
        if (done.total === 100) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 })).total).toBe(100);
      const completions = await admin.query(
        `select step_id, count(*)::int as n from tasker.transitions
         where step_id is not null and to_state = 'complete' group by step_id`,
      );
      expect(completions.rows.length).toBe(1_100);
      expect(completions.rows.every((r) => r.n === 1)).toBe(true);
      const effects = await admin.query('select count(distinct step_id)::int as steps from side_effects');
      expect(effects.rows[0].steps).toBe(1_100);
      const byPid = await admin.query('select pid, count(*)::int as n from side_effects group by pid');
      expect(byPid.rows.map((r) => r.pid).sort()).toEqual(started.map((w) => w.pid).sort());
      for (const w of started) expect(await workers.stop(w)).toEqual({ code: 0, signal: null });
    } finally {
      await admin.end();
      await store.close();
    }
  }, 180_000);
});
