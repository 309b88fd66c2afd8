/**
 * Prompt cancellation (issue #13): cancelling a task aborts its running handlers' signals at
 * once on every worker, through the step-stopped notification, not at the next lease renewal.
 *
 * Two worker processes run the `mp.outage` task's 12 s `long` step, whose handler waits on its
 * signal and prints when it ended. The lease is 30 s, so a renewal (every 10 s) would find the
 * cancellation only seconds later: an abort within 2 s can only have come from the notification.
 * The test cancels from a third process (this one), measures cancel → abort per step, prints
 * the figures, and checks that each handler ended aborted.
 */

import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker } from '../../src/index';
import { describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';
import { SIDE_EFFECTS_DDL, WorkerProcesses } from '../support/worker-processes';
import { outageTask } from './task';

const TASKS = 4;

describeWithPostgres('prompt cancellation across processes', (database) => {
  const workers = new WorkerProcesses();
  afterAll(() => workers.killAll());

  it('aborts the running handlers of a cancelled task on both workers within moments, long before a lease renewal', async () => {
    const url = database().url;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    try {
      await admin.query(SIDE_EFFECTS_DDL);
      const env = { TASKER_MP_DATABASE_URL: url, TASKER_MP_LEASE_MS: '30000' };
      const started = await Promise.all([workers.start(env), workers.start(env)]);
      const tasker = createTasker({ store, tasks: [outageTask], handlers: { timed: async () => null } });
      const ids: string[] = [];
      for (let i = 0; i < TASKS; i++)
        ids.push(
          (await tasker.submit({ namespace: 'mp', name: 'outage', version: '1.0.0', context: { i } })).taskId,
        );
      // Every task's `long` step is running (root done, 12 s to go).
      const running = await until(
        "every task's long step running",
        async () =>
          (
            await admin.query<{ id: string; task_id: string }>(
              "select id, task_id from tasker.steps where name = 'long' and state = 'in_progress'",
            )
          ).rows,
        (rows) => rows.length === TASKS,
      );
      const cancelledAt = new Map<string, number>();
      for (const taskId of ids) {
        const at = Date.now();
        await tasker.cancel(taskId, { actor: 'test' });
        for (const r of running) if (r.task_id === taskId) cancelledAt.set(r.id, at);
      }
      const ends = await until(
        'the aborted handlers to report',
        async () =>
          started.flatMap((w) =>
            w.lines
              .filter((l) => l.startsWith('run\t'))
              .map((l) => l.split('\t'))
              .filter(([, stepId]) => cancelledAt.has(stepId as string))
              .map(([, stepId, , , end, how]) => ({
                pid: w.pid,
                stepId: stepId as string,
                end: Number(end),
                how,
              })),
          ),
        (rows) => rows.length === TASKS,
        { tries: 400 },
      );
      const latencies = ends.map((e) => e.end - (cancelledAt.get(e.stepId) as number)).sort((a, b) => a - b);
      console.log(
        `cancel → abort on ${new Set(ends.map((e) => e.pid)).size} worker processes, ms: ${latencies.join(', ')}`,
      );
      expect(ends.every((e) => e.how === 'aborted')).toBe(true);
      // The lease renewal would take seconds (every 10 s with a 30 s lease).
      expect(latencies.at(-1)).toBeLessThan(2_000);
      const states = await admin.query<{ state: string }>(
        'select distinct state from tasker.tasks where id = any($1::uuid[])',
        [ids],
      );
      expect(states.rows.map((r) => r.state)).toEqual(['cancelled']);
      for (const w of started) expect(await workers.stop(w)).toEqual({ code: 0, signal: null });
    } finally {
      await store.close();
      await admin.end();
    }
  }, 120_000);
});
