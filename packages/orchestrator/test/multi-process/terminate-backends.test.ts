import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createPostgresStore, createTasker } from '../../src/index';
import { describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';
import { multiProcessTask } from './task';

const TASKS = 40;
const STEPS = TASKS * 11;

/** Terminates every connection to this test's database except the one asking. */
const TERMINATE = `
select pid, pg_terminate_backend(pid) as terminated from pg_stat_activity
where datname = current_database() and pid <> pg_backend_pid()`;

/** Sessions of this database whose last statement subscribed to the ready channel. */
const LISTENERS = `
select count(*)::int as n from pg_stat_activity
where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`;

describeWithPostgres('losing the database: pg_terminate_backend', (database) => {
  it("terminates the engine's own connections mid-run; the run still completes, one completion per step", async () => {
    const url = database().url;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const connectionErrors: Error[] = [];
    const transientErrors: unknown[] = [];
    const store = await createPostgresStore({
      connectionString: url,
      poolSize: 6,
      onConnectionError: (error) => connectionErrors.push(error),
      onTransientError: (error) => transientErrors.push(error),
    });
    // After 60 handler calls, handlers wait at a gate: the first termination happens with
    // steps in flight, their leases held, the pool and the listener connected.
    let calls = 0;
    let waiting = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const tasker = createTasker({
      store,
      tasks: [multiProcessTask],
      handlers: {
        work: async () => {
          if (++calls > 60) {
            waiting++;
            await gate;
          }
          await sleep(1);
          return calls;
        },
      },
      config: {
        engine: { pollIntervalMs: 200, leaseMs: 3_000, batchSize: 5 },
        execution: { concurrency: 8 },
      },
      onError: () => {},
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < TASKS; i++)
        ids.push(
          (await tasker.submit({ namespace: 'mp', name: 'fanout', version: '1.0.0', context: { i } })).taskId,
        );
      await tasker.start();
      await until(
        'eight handlers waiting at the gate',
        async () => waiting,
        (n) => n === 8,
      );
      expect((await admin.query(LISTENERS)).rows[0].n).toBe(1);

      const first = await admin.query(TERMINATE);
      // The listener and at least one pooled connection.
      expect(first.rows.length).toBeGreaterThanOrEqual(2);
      expect(first.rows.every((r) => r.terminated === true)).toBe(true);
      open();

      // Keep terminating while the run goes on, to cut statements and transactions in flight.
      let terminated = 0;
      for (let round = 0; round < 10; round++) {
        await sleep(150);
        terminated += (await admin.query(TERMINATE)).rows.length;
      }
      expect(terminated).toBeGreaterThan(0);

      const complete = await until(
        'every task to complete',
        () => store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 }),
        (r) => r.total === TASKS,
        { intervalMs: 100, tries: 900 },
      );
      expect(complete.total).toBe(TASKS);
      const completions = await admin.query(
        `select step_id, count(*)::int as n from tasker.transitions
         where step_id is not null and to_state = 'complete' group by step_id`,
      );
      expect(completions.rows.length).toBe(STEPS);
      expect(completions.rows.filter((r) => r.n !== 1)).toEqual([]);
      const taskCompletions = await admin.query(
        `select count(*)::int as n from tasker.transitions where step_id is null and to_state = 'complete'`,
      );
      expect(taskCompletions.rows[0].n).toBe(TASKS);
      // The driver saw its connections go, and subscribed again.
      expect(connectionErrors.length).toBeGreaterThan(0);
      await until(
        'the worker to LISTEN again',
        async () => (await admin.query(LISTENERS)).rows[0].n as number,
        (n) => n === 1,
      );
      expect(tasker.stats().state).toBe('running');
    } finally {
      await tasker.stop();
      await store.close();
      await admin.end();
    }
  }, 180_000);
});
