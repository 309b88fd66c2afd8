/**
 * Migration 3 (statistics), on PGlite and PostgreSQL:
 *
 * - on a database of the 0.1 schema (migration 1) that holds tasks: it sets the queue tables'
 *   autovacuum thresholds and the per-task `n_distinct`, adds the index of a task's edges and
 *   analyzes the tables; applied again it changes nothing, and the engine runs on the result;
 * - on a new database it analyzes nothing: a table analyzed empty loses the planner's 10-page
 *   floor, and plans cached on it stay sequential scans as it grows (see the migration);
 * - the case that the `n_distinct` settings exist for: statistics taken while the tables were
 *   small (an early autoanalyze; on PGlite, which has no autovacuum, whatever was last taken)
 *   and tables that grew a thousandfold since. Every value of `transitions.task_id` repeats, so
 *   ANALYZE alone records a fixed count of 2 tasks, and a read of one task is planned as a read
 *   of half the table: a sequential scan. With the setting, a task is a few rows whatever
 *   the table holds.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPgliteDriver,
  createPostgresDriver,
  createTasker,
  defineTask,
  MIGRATIONS,
  migrate,
  type SqlDriver,
  type SqlExecutor,
  TaskStore,
} from '../src/index';
import { insertCompletedChains } from './support/bulk-tasks';
import { createTestDatabase, describeWithPostgres } from './support/postgres';
import { connectionExecutor, explainHotRead } from './support/query-plans';
import { recordingDriver } from './support/recording-driver';

/** Enough for every table to hold 10 pages, which the migration analyzes. */
const BEFORE = 500;
const SMALL = 2;
const GROWN = 5_000;

const chain = defineTask({
  namespace: 'migrated',
  name: 'chain',
  version: '1.0.0',
  steps: [
    { name: 'a', handler: 'work' },
    { name: 'b', handler: 'work', dependsOn: ['a'] },
  ],
});

/** Storage parameters as an object: `['a=1']` → `{ a: '1' }`. */
function options(list: unknown): Record<string, string> {
  const entries = (Array.isArray(list) ? list : list == null ? [] : String(list).slice(1, -1).split(','))
    .map(String)
    .map((o) => o.split('=') as [string, string]);
  return Object.fromEntries(entries);
}

const EXPECTED_TABLE_OPTIONS = {
  steps: {
    autovacuum_vacuum_scale_factor: '0.02',
    autovacuum_vacuum_threshold: '1000',
    autovacuum_vacuum_cost_limit: '2000',
    autovacuum_analyze_scale_factor: '0.02',
    autovacuum_analyze_threshold: '1000',
  },
  tasks: {
    autovacuum_vacuum_scale_factor: '0.05',
    autovacuum_vacuum_threshold: '1000',
    autovacuum_analyze_scale_factor: '0.02',
    autovacuum_analyze_threshold: '1000',
  },
  transitions: { autovacuum_analyze_scale_factor: '0.02', autovacuum_analyze_threshold: '5000' },
  step_edges: { autovacuum_analyze_scale_factor: '0.05', autovacuum_analyze_threshold: '1000' },
};

const NO_AUTOVACUUM = ['tasks', 'steps', 'step_edges', 'transitions']
  .map((t) => `alter table tasker.${t} set (autovacuum_enabled = false);`)
  .join('\n');

const TABLES = `
select c.relname, c.reloptions, c.reltuples
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'tasker' and c.relname in ('tasks', 'steps', 'step_edges', 'transitions')
order by c.relname`;

const TASK_ID_OPTIONS = `
select c.relname, a.attoptions
from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'tasker' and a.attname = 'task_id' and c.relname in ('steps', 'step_edges', 'transitions')
order by c.relname`;

const STATS = `
select tablename, n_distinct from pg_stats
where schemaname = 'tasker' and attname = 'task_id' and tablename in ('steps', 'step_edges', 'transitions')
order by tablename`;

async function tableFacts(db: SqlExecutor) {
  const rows = (await db.query<{ relname: string; reloptions: unknown; reltuples: number }>(TABLES)).rows;
  return Object.fromEntries(
    rows.map((r) => [r.relname, { options: options(r.reloptions), rows: Number(r.reltuples) }]),
  );
}

/** A database of its own for one test, and a connection to explain statements on. */
interface Fresh {
  readonly driver: SqlDriver;
  /** One session (plans are prepared and explained there); closing it leaves the driver open. */
  planner(): Promise<SqlExecutor & { close(): Promise<void> }>;
  dispose(): Promise<void>;
}

function migrationSuite(name: string, fresh: () => Promise<Fresh>): void {
  describe(`migration 3 on ${name}`, () => {
    let open: Fresh[] = [];
    const database = async () => {
      const f = await fresh();
      open.push(f);
      return f;
    };
    afterEach(async () => {
      for (const f of open) await f.dispose();
      open = [];
    });

    it('migrates a 0.1 database with tasks: queue-table settings, per-task n_distinct, the edges index, ANALYZE; the engine runs on it', async () => {
      const { driver } = await database();
      expect(await migrate(driver, MIGRATIONS.slice(0, 1))).toEqual([1]);
      // Nothing but the migration analyzes these tables (the shared server runs autovacuum).
      await driver.exec(NO_AUTOVACUUM);
      await insertCompletedChains((text) => driver.exec(text), BEFORE);
      const before = await tableFacts(driver);
      expect(before.steps).toEqual({ options: { autovacuum_enabled: 'false' }, rows: -1 });

      const store = new TaskStore(driver);
      expect(await store.migrate()).toEqual(MIGRATIONS.slice(1).map((m) => m.id));

      const after = await tableFacts(driver);
      for (const [table, expected] of Object.entries(EXPECTED_TABLE_OPTIONS))
        expect(after[table]?.options, table).toMatchObject(expected);
      // (PGlite adds an option of its own, pg_attver.)
      expect(
        (await driver.query(TASK_ID_OPTIONS)).rows.map((r) => [r.relname, options(r.attoptions).n_distinct]),
      ).toEqual([
        ['step_edges', '-0.1'],
        ['steps', '-0.1'],
        ['transitions', '-0.05'],
      ]);
      expect(
        (await driver.query(`select indexdef from pg_indexes where indexname = 'step_edges_task_idx'`)).rows,
      ).toEqual([
        { indexdef: 'CREATE INDEX step_edges_task_idx ON tasker.step_edges USING btree (task_id)' },
      ]);
      // ANALYZE ran: the row counts are exact, and the statistics of task_id carry the setting.
      expect(Object.fromEntries(Object.entries(after).map(([t, f]) => [t, f.rows]))).toEqual({
        step_edges: 3 * BEFORE,
        steps: 4 * BEFORE,
        tasks: BEFORE,
        transitions: 15 * BEFORE,
      });
      expect((await driver.query(STATS)).rows.map((r) => [r.tablename, Number(r.n_distinct)])).toEqual([
        ['step_edges', -0.1],
        ['steps', -0.1],
        ['transitions', -0.05],
      ]);

      // Applying the migrations again changes nothing.
      expect(await migrate(driver)).toEqual([]);
      expect(await tableFacts(driver)).toEqual(after);

      // The engine runs on the migrated database, and reads the tasks written before it.
      const tasker = createTasker({ store, tasks: [chain], handlers: { work: async () => 'ok' } });
      try {
        await tasker.start();
        const { taskId } = await tasker.submit({
          namespace: 'migrated',
          name: 'chain',
          version: '1.0.0',
          context: {},
        });
        const done = await tasker.waitFor(taskId, { timeoutMs: 30_000 });
        expect(done.state).toBe('complete');
        expect(done.steps.map((s) => [s.name, s.state, s.dependsOn])).toEqual([
          ['a', 'complete', []],
          ['b', 'complete', ['a']],
        ]);
        const old = (await tasker.listTasks({ namespace: 'bulk', limit: 1 })).tasks[0];
        const oldTask = await tasker.getTask(String(old?.id));
        expect(oldTask?.steps.map((s) => s.dependsOn)).toEqual([[], ['s1'], ['s2'], ['s3']]);
        expect(oldTask?.transitions).toHaveLength(15);
      } finally {
        await tasker.stop();
      }
    }, 60_000);

    it('analyzes nothing on a new database, so the planner keeps its floor for tables never analyzed', async () => {
      const { driver } = await database();
      await migrate(driver);
      expect(Object.values(await tableFacts(driver)).map((f) => f.rows)).toEqual([-1, -1, -1, -1]);
    });

    it(`keeps the reads of one task on their indexes when statistics were taken at ${SMALL} tasks and the tables grew to ${GROWN}`, async () => {
      const { driver, planner } = await database();
      await migrate(driver);
      await driver.exec(NO_AUTOVACUUM);
      await insertCompletedChains((text) => driver.exec(text), SMALL);
      // What an early autoanalyze does (on PGlite, whatever ANALYZE ran last).
      await driver.exec('analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
      await insertCompletedChains((text) => driver.exec(text), GROWN);
      expect((await tableFacts(driver)).transitions?.rows).toBe(15 * SMALL);

      const recorded = recordingDriver(driver);
      const reader = new TaskStore(recorded);
      const taskId = String(
        (await reader.listTasks({ namespace: 'bulk', limit: 1, offset: 100 })).tasks[0]?.id,
      );
      recorded.queries.length = 0;
      await reader.getTask(taskId);
      await reader.taskState(taskId);
      expect(recorded.queries).toHaveLength(2);
      const db = await planner();
      try {
        const problems: string[] = [];
        for (const q of recorded.queries) {
          for (const plan of await explainHotRead(db, q.text, q.params))
            problems.push(...plan.problems.map((p) => `${q.text.slice(0, 50)}… (${plan.mode}): ${p}`));
        }
        expect(problems).toEqual([]);
      } finally {
        await db.close();
      }
    }, 120_000);
  });
}

migrationSuite('PGlite', async () => {
  const driver = await createPgliteDriver();
  return {
    driver,
    // PGlite has one connection: plans are made on it.
    planner: async () => ({ query: driver.query, exec: driver.exec, close: async () => {} }),
    dispose: () => driver.close(),
  };
});

describeWithPostgres('migration 3 (PostgreSQL)', (database) => {
  migrationSuite('PostgreSQL', async () => {
    // Each test starts from an empty database of its own.
    const db = await createTestDatabase(database().url);
    const driver = await createPostgresDriver({ connectionString: db.url, poolSize: 4 });
    return {
      driver,
      planner: async () => {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        return Object.assign(connectionExecutor(client), { close: () => client.end() });
      },
      dispose: async () => {
        await driver.close();
        await db.drop();
      },
    };
  });
});
