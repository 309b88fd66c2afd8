import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker } from '../../src/index';
import { describeWithPostgres } from '../support/postgres';
import { startTcpProxy, type TcpProxy, tryConnect } from '../support/tcp-proxy';
import { until } from '../support/until';
import { SIDE_EFFECTS_DDL, WorkerProcesses } from '../support/worker-processes';
import { multiProcessTask } from './task';

const TASKS = 30;
const STEPS = TASKS * 11;
const OUTAGE_MS = 3_000;

const LISTENERS = `
select count(*)::int as n from pg_stat_activity
where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`;

describeWithPostgres('losing the database: a network outage', (database) => {
  const workers = new WorkerProcesses();
  let proxy: TcpProxy | undefined;
  afterAll(async () => {
    await workers.killAll();
    await proxy?.close();
  });

  it('an engine process behind a proxy that drops and refuses connections for 3 s survives and completes the run', async () => {
    const url = database().url;
    const target = new URL(url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const store = await createPostgresStore({ connectionString: url, poolSize: 2 });
    try {
      await admin.query(SIDE_EFFECTS_DDL);
      const notHere = async () => {
        throw new Error('handlers run in the worker process');
      };
      const submitter = createTasker({ store, tasks: [multiProcessTask], handlers: { work: notHere } });
      for (let i = 0; i < TASKS; i++)
        await submitter.submit({ namespace: 'mp', name: 'fanout', version: '1.0.0', context: { i } });

      // The engine reaches the database only through the proxy; its handlers write their side
      // effects directly, so they can finish while the engine's network is down.
      const worker = await workers.start({
        TASKER_MP_DATABASE_URL: proxy.rewrite(url),
        TASKER_MP_SIDE_URL: url,
        TASKER_MP_GATE: '1',
        TASKER_MP_LEASE_MS: '10000',
      });
      const sideEffects = async () =>
        (await admin.query('select count(*)::int as n from side_effects')).rows[0].n as number;
      await until('some steps to run', sideEffects, (n) => n >= 50);
      // Close the gate: the next eight steps hold their leases and wait at it.
      await admin.query('update gate set open = false');
      await until(
        'eight handlers waiting at the gate',
        async () => (await admin.query('select count(*)::int as n from gate_waits')).rows[0].n as number,
        (n) => n === 8,
      );
      const before = await sideEffects();
      expect(before).toBeLessThan(STEPS);
      const accepted = proxy.stats.accepted;
      expect(accepted).toBeGreaterThanOrEqual(2); // the pool and the listener

      const refused: string[] = [];
      await proxy.outage(OUTAGE_MS, async () => {
        refused.push(await tryConnect(proxy!.port));
        // The handlers finish while the engine cannot reach the database.
        await admin.query('update gate set open = true');
        await until(
          'the gated handlers to go through',
          async () =>
            (await admin.query('select count(*)::int as n from gate_waits where passed')).rows[0].n as number,
          (n) => n === 8,
        );
        refused.push(await tryConnect(proxy!.port));
      });
      expect(refused).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
      expect(proxy.stats.dropped).toBeGreaterThanOrEqual(2);

      const complete = await until(
        'every task to complete',
        () => store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 }),
        (r) => r.total === TASKS,
        { intervalMs: 100, tries: 900 },
      );
      expect(complete.total).toBe(TASKS);
      // The process survived, reconnected through the proxy, and LISTENs again.
      expect(worker.child.exitCode).toBeNull();
      expect(worker.child.signalCode).toBeNull();
      expect(proxy.stats.accepted).toBeGreaterThan(accepted);
      await until(
        'the worker to LISTEN again',
        async () => (await admin.query(LISTENERS)).rows[0].n as number,
        (n) => n === 1,
      );
      // It saw the outage as transient errors and lost connections; none reached onError.
      const kinds = (kind: string) => worker.lines.filter((l) => l.startsWith(`${kind}\t`));
      expect(kinds('transient').length).toBeGreaterThan(0);
      expect(kinds('connection').length).toBeGreaterThan(0);
      expect(kinds('error')).toEqual([]);

      // Exactly one completion per step, although some ran again after losing their lease.
      const completions = await admin.query(
        `select step_id, count(*)::int as n from tasker.transitions
         where step_id is not null and to_state = 'complete' group by step_id`,
      );
      expect(completions.rows.length).toBe(STEPS);
      expect(completions.rows.filter((r) => r.n !== 1)).toEqual([]);
      expect(await workers.stop(worker)).toEqual({ code: 0, signal: null });
    } finally {
      await store.close();
      await admin.end();
    }
  }, 180_000);
});
