/**
 * The reads of one task keep their index plans without statistics (issue #11, item 6). A private
 * PostgreSQL runs with `autovacuum = off`, so nothing analyzes the engine's tables: the
 * migrations analyze them while they are empty, then 20,000 finished tasks are loaded (80,000
 * steps, 300,000 transitions). The engine runs tasks, the server is stopped for 20 s and started
 * again, and on a new connection (nothing planned before the restart survives it) each statement
 * behind `getTask` and `waitFor` is explained as a custom and as a generic plan: no sequential
 * scan, no parallel workers, and a cost below `jit_above_cost`. The engine then completes new
 * tasks through the same reads.
 *
 * Before the change, the steps of a task were read with a per-step subquery for their parents;
 * here that read planned a parallel sequential scan of `steps` (about 0.5 s per read with JIT).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createPostgresDriver, createTasker, defineTask, TaskStore } from '../../src/index';
import { insertCompletedChains } from '../support/bulk-tasks';
import { createTestDatabase, describeWithPrivatePostgres } from '../support/postgres';
import { connectionExecutor, explainHotRead } from '../support/query-plans';
import { recordingDriver } from '../support/recording-driver';

const LOADED_TASKS = 20_000;
const OUTAGE_MS = 20_000;
const RUN_TASKS = 20;

const chain = defineTask({
  namespace: 'stats',
  name: 'chain',
  version: '1.0.0',
  steps: [
    { name: 'a', handler: 'work' },
    { name: 'b', handler: 'work', dependsOn: ['a'] },
    { name: 'c', handler: 'work', dependsOn: ['b'] },
  ],
});

describeWithPrivatePostgres(
  'hot reads without statistics, through a 20 s outage (autovacuum off)',
  (server) => {
    it('plans every read of one task on its indexes after a restart, and the engine runs on', async () => {
      const db = await createTestDatabase(server().url);
      const driver = await createPostgresDriver({ connectionString: db.url, poolSize: 4 });
      const store = new TaskStore(driver);
      // The reads are recorded on a driver of their own, read through an engine that is not
      // started (as in a process that only serves the API): the running engine's polls and
      // claims go through `driver` and are not among them.
      const readDriver = recordingDriver(
        await createPostgresDriver({ connectionString: db.url, poolSize: 1 }),
      );
      const readStore = new TaskStore(readDriver);
      const reader = createTasker({
        store: readStore,
        tasks: [chain],
        handlers: { work: async () => 'done' },
      });
      await store.migrate();
      await insertCompletedChains((text) => driver.exec(text), LOADED_TASKS);
      const tasker = createTasker({
        store,
        tasks: [chain],
        handlers: { work: async () => 'done' },
        config: { engine: { pollIntervalMs: 200 } },
        onError: () => {},
      });
      const runTasks = async (label: string) => {
        const ids: string[] = [];
        for (let i = 0; i < RUN_TASKS; i++) {
          ids.push(
            (
              await tasker.submit({
                namespace: 'stats',
                name: 'chain',
                version: '1.0.0',
                context: { label, i },
              })
            ).taskId,
          );
        }
        return Promise.all(ids.map((id) => tasker.waitFor(id, { timeoutMs: 120_000 })));
      };
      const admin = async <T>(body: (client: pg.Client) => Promise<T>): Promise<T> => {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          return await body(client);
        } finally {
          await client.end();
        }
      };
      try {
        await tasker.start();
        expect((await runTasks('before')).map((t) => t.state)).toEqual(Array(RUN_TASKS).fill('complete'));

        await server().stop();
        await sleep(OUTAGE_MS);
        await server().start();

        // The scenario: the tables hold tens of thousands of rows that no statistics describe.
        const stats = await admin(
          async (c) =>
            (
              await c.query(
                `select c.relname, c.reltuples, s.n_live_tup
                 from pg_class c join pg_stat_user_tables s on s.relid = c.oid
                 where s.schemaname = 'tasker' and c.relname = 'steps'`,
              )
            ).rows[0],
        );
        expect(Number(stats.reltuples)).toBeLessThan(1_000);

        // The statements that the reads of one task send, with their parameters.
        const taskId = (
          await admin((c) => c.query(`select id from tasker.tasks where namespace = 'bulk' limit 1`))
        ).rows[0].id as string;
        // Its first call readies the reader (migration check, clock, presence): not a read.
        await reader.getTask(taskId);
        readDriver.queries.length = 0;
        expect((await reader.getTask(taskId))?.steps.map((s) => s.dependsOn)).toEqual([
          [],
          ['s1'],
          ['s2'],
          ['s3'],
        ]);
        expect(await readStore.taskState(taskId)).toBe('complete');
        const reads = [...readDriver.queries];
        expect(reads.length).toBe(2);

        const plans = await admin(async (c) => {
          const explained: { text: string; plans: Awaited<ReturnType<typeof explainHotRead>> }[] = [];
          for (const q of reads)
            explained.push({
              text: q.text.slice(0, 60),
              plans: await explainHotRead(connectionExecutor(c), q.text, q.params),
            });
          return explained;
        });
        const problems = plans.flatMap((p) =>
          p.plans.flatMap((plan) => plan.problems.map((problem) => `${p.text}… (${plan.mode}): ${problem}`)),
        );
        expect(problems, JSON.stringify(plans, null, 2)).toEqual([]);
        for (const p of plans)
          for (const plan of p.plans) expect(plan.nodes.some((n) => n.includes('Index'))).toBe(true);

        expect((await runTasks('after')).map((t) => t.state)).toEqual(Array(RUN_TASKS).fill('complete'));
      } finally {
        await tasker.stop();
        await reader.stop();
        await readStore.close();
        await store.close();
      }
    }, 300_000);
  },
  { settings: { autovacuum: 'off' } },
);
