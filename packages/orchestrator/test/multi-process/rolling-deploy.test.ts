import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker } from '../../src/index';
import { describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';
import { SIDE_EFFECTS_DDL, WorkerProcesses } from '../support/worker-processes';
import { deployV1, deployV2 } from './task';

describeWithPostgres('a rolling deploy: old and new workers on one database', (database) => {
  const workers = new WorkerProcesses();
  afterAll(() => workers.killAll());

  it('completes every task of both versions, and no step is attempted by a worker without its handler', async () => {
    const url = database().url;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const store = await createPostgresStore({ connectionString: url, poolSize: 2 });
    const submitter = createTasker({
      store,
      tasks: [deployV1, deployV2],
      handlers: {
        work: async () => {
          throw new Error('handlers run in the worker processes');
        },
      },
    });
    try {
      await admin.query(SIDE_EFFECTS_DDL);
      const env = (deploy: string) => ({ TASKER_MP_DATABASE_URL: url, TASKER_MP_DEPLOY: deploy });
      const old = [await workers.start(env('v1')), await workers.start(env('v1'))];
      const fresh: { pid: number }[] = [];
      const taskIds: string[] = [];
      const submitRound = async () => {
        for (const version of ['1.0.0', '2.0.0']) {
          const { taskId } = await submitter.submit({
            namespace: 'mp',
            name: 'deploy',
            version,
            context: {},
          });
          taskIds.push(taskId);
        }
      };
      // Phase 1: only old workers; tasks of both versions arrive (2.0.0 ones must wait).
      for (let i = 0; i < 20; i++) {
        await submitRound();
        await new Promise((r) => setTimeout(r, 25));
      }
      // Phase 2: new workers join one by one while tasks keep arriving.
      for (const _ of [1, 2]) {
        fresh.push(await workers.start(env('v2')));
        for (let i = 0; i < 20; i++) {
          await submitRound();
          await new Promise((r) => setTimeout(r, 25));
        }
      }
      // Phase 3: the old workers stop (gracefully) while tasks keep arriving.
      for (const w of old) {
        expect(await workers.stop(w, 'SIGTERM')).toEqual({ code: 0, signal: null });
        for (let i = 0; i < 20; i++) {
          await submitRound();
          await new Promise((r) => setTimeout(r, 25));
        }
      }

      const states = await until(
        'every task to finish',
        () =>
          admin.query<{ state: string; n: number }>(
            'select state, count(*)::int as n from tasker.tasks where id = any($1::uuid[]) group by state',
            [taskIds],
          ),
        (r) => r.rows.every((row) => row.state !== 'in_progress' && row.state !== 'pending'),
      );
      expect(states.rows).toEqual([{ state: 'complete', n: taskIds.length }]);
      expect(taskIds.length).toBe(200);

      // Every attempt of a 2.0.0 step ran in a new worker; none failed.
      const freshPids = new Set(fresh.map((w) => w.pid));
      const v2Runs = await admin.query<{ pid: number; n: number }>(
        `select pid, count(*)::int as n from side_effects where step_name like 'v2_%' group by pid`,
      );
      expect(v2Runs.rows.filter((r) => !freshPids.has(r.pid))).toEqual([]);
      expect(v2Runs.rows.reduce((a, r) => a + r.n, 0)).toBe(100 * 3);
      const failures = await admin.query(
        `select count(*)::int as n from tasker.transitions
         where task_id = any($1::uuid[]) and to_state in ('error', 'waiting_for_retry')`,
        [taskIds],
      );
      expect(failures.rows[0].n).toBe(0);
      // The old workers ran 1.0.0 steps while they lived (the deploy really overlapped).
      const oldRuns = await admin.query(
        `select count(*)::int as n from side_effects where pid = any($1::int[])`,
        [old.map((w) => w.pid)],
      );
      expect(oldRuns.rows[0].n).toBeGreaterThan(0);
    } finally {
      await workers.killAll();
      await submitter.stop();
      await store.close();
      await admin.end();
    }
  }, 180_000);
});
