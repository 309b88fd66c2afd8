/**
 * A concurrency limit across processes (issue #14, acceptance 1): 200 tasks of one customer,
 * whose steps may run at most 2 at once (`concurrency: { key: 'context.customerId', limit: 2 }`),
 * worked by 4 engine processes of 8 slots each, so that the limit, not the slots, decides.
 *
 * Two views of "at once", both held to 2:
 * - the database's: the key's `in_progress` steps, counted every 10 ms (a consistent snapshot
 *   each) from the first claim until every task completed;
 * - the handlers': each one writes its start and end on the database's clock (after its claim
 *   committed, before its outcome is written), so the handler intervals lie inside the steps'
 *   `in_progress` intervals and no instant, sampled or not, may see three of them.
 * Both must also reach 2, or the test would pass with a limit of 1 (or a limit never tried).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/index';
import { FlowWorkerProcesses, flowSubmitter, submitAll, troubleLines } from '../support/flow-workers';
import { describeWithPostgres } from '../support/postgres';
import { HANDLER_RUNS_DDL } from './flow-tasks';

const TASKS = 200;
const WORKERS = 4;
const LIMIT = 2;
const CUSTOMER = 'c-42';
const KEY = `context.customerId=${CUSTOMER}`;

describeWithPostgres('a concurrency limit across worker processes', (database) => {
  const workers = new FlowWorkerProcesses();
  afterAll(() => workers.killAll());

  it('never has more than 2 steps of one key in progress, across 4 processes, and completes every task', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    const admin = new pg.Client({ connectionString: url });
    const sampler = new pg.Client({ connectionString: url });
    await Promise.all([admin.connect(), sampler.connect()]);
    try {
      await admin.query(HANDLER_RUNS_DDL);
      const submitter = flowSubmitter(store);
      // Submitted before any worker runs: all 200 are ready at once when they start.
      const ids = await submitAll(
        submitter,
        Array.from({ length: TASKS }, (_, i) => ({
          namespace: 'mpflow',
          name: 'limited',
          version: '1.0.0',
          context: { customerId: CUSTOMER, i },
        })),
      );
      const keys = await admin.query(
        'select concurrency_key, concurrency_limit, count(*)::int as n from tasker.steps group by 1, 2',
      );
      expect(keys.rows).toEqual([{ concurrency_key: KEY, concurrency_limit: LIMIT, n: TASKS }]);

      const samples: number[] = [];
      let sampling = true;
      const sampled = (async () => {
        while (sampling) {
          const r = await sampler.query<{ n: number }>(
            `select count(*)::int as n from tasker.steps where concurrency_key = $1 and state = 'in_progress'`,
            [KEY],
          );
          samples.push(r.rows[0]?.n as number);
          await sleep(10);
        }
      })();
      const started = await Promise.all(
        Array.from({ length: WORKERS }, () => workers.start({ TASKER_MP_DATABASE_URL: url })),
      );
      const runStarted = Date.now();
      let complete = 0;
      for (let i = 0; i < 1_200 && complete < TASKS; i++) {
        await sleep(100);
        complete = (
          await admin.query<{ n: number }>(
            `select count(*)::int as n from tasker.tasks where id = any($1::uuid[]) and state = 'complete'`,
            [ids],
          )
        ).rows[0]?.n as number;
      }
      sampling = false;
      await sampled;
      const runMs = Date.now() - runStarted;
      expect(complete).toBe(TASKS);

      // The database's view, every 10 ms.
      const most = Math.max(...samples);
      console.log(
        `concurrency: ${samples.length} samples over ${runMs} ms; in progress 0/1/2/more: ${[0, 1, 2]
          .map((n) => samples.filter((s) => s === n).length)
          .join('/')}/${samples.filter((s) => s > LIMIT).length}`,
      );
      expect(samples.length).toBeGreaterThan(100);
      expect(samples.filter((s) => s > LIMIT)).toEqual([]);
      expect(most).toBe(LIMIT);

      // The handlers' view: the most handler intervals that overlap at any instant.
      const overlap = await admin.query<{ most: number; runs: number }>(`
        with edges as (
          select started_at as at, 1 as d from handler_runs
          union all
          select ended_at, -1 from handler_runs
        )
        select (select count(*)::int from handler_runs where ended_at is not null) as runs,
          max(running)::int as most
        from (select sum(d) over (order by at, d) as running from edges) x`);
      expect(overlap.rows[0]).toEqual({ runs: TASKS, most: LIMIT });

      // Every step ran once, in one of the processes, and completed once.
      const completions = await admin.query<{ n: number }>(
        `select count(*)::int as n from tasker.transitions
         where step_id is not null and to_state = 'complete' and task_id = any($1::uuid[])`,
        [ids],
      );
      expect(completions.rows[0]?.n).toBe(TASKS);
      expect(troubleLines(started)).toEqual([]);
      for (const w of started) expect(await workers.stop(w)).toEqual({ code: 0, signal: null });
    } finally {
      await Promise.all([admin.end(), sampler.end()]);
      await store.close();
    }
  }, 240_000);
});
