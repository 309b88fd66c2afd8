/**
 * Delayed starts across processes (issue #14, acceptance 1): two idle engine processes, and 60
 * two-step tasks (`first → second`) submitted from this process: 40 with `runAt` and 10 with
 * `delay`, 2 to 5 s ahead of the database's clock, and 10 with `runAt` a second in the past.
 *
 * The rule: no step of a delayed task is claimed before the task's `run_at`, both read from the
 * database: the claim's time is the `created_at` of the step's `claimed` transition (the `now`
 * the claim compared `ready_at` with). The tasks in the past are stored without a `run_at` (ready
 * at their creation), and every task completes. How soon after `run_at` each task started is printed,
 * not held to anything here (the benchmark measures it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, type SubmitRequest } from '../../src/index';
import { FlowWorkerProcesses, flowSubmitter, submitAll, troubleLines } from '../support/flow-workers';
import { describeWithPostgres } from '../support/postgres';

const WORKERS = 2;
const AT = 40;
const DELAYED = 10;
const PAST = 10;

describeWithPostgres('delayed starts across worker processes', (database) => {
  const workers = new FlowWorkerProcesses();
  afterAll(() => workers.killAll());

  it('claims no step of a task before its runAt, on 2 processes, and runs past runAts at once', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Idle and listening before anything is submitted: a step ready too early would be taken.
      const started = await Promise.all(
        Array.from({ length: WORKERS }, () => workers.start({ TASKER_MP_DATABASE_URL: url })),
      );
      const databaseNow = async () =>
        Number(
          (
            await admin.query<{ now: string }>(
              'select (extract(epoch from clock_timestamp()) * 1000)::bigint as now',
            )
          ).rows[0]?.now,
        );
      const now = await databaseNow();
      const task = { namespace: 'mpflow', name: 'later', version: '1.0.0' } as const;
      const ahead = (i: number, n: number) => 2_000 + Math.round((3_000 * i) / n);
      const requests: SubmitRequest[] = [
        ...Array.from({ length: AT }, (_, i) => ({ ...task, context: { i }, runAt: now + ahead(i, AT) })),
        ...Array.from({ length: DELAYED }, (_, i) => ({
          ...task,
          context: { d: i },
          delay: ahead(i, DELAYED),
        })),
        ...Array.from({ length: PAST }, (_, i) => ({
          ...task,
          context: { p: i },
          runAt: new Date(now - 1_000),
        })),
      ];
      const ids = await submitAll(flowSubmitter(store), requests);
      const delayedIds = ids.slice(0, AT + DELAYED);
      const pastIds = ids.slice(AT + DELAYED);

      let complete = 0;
      for (let i = 0; i < 600 && complete < ids.length; i++) {
        await sleep(100);
        complete = (
          await admin.query<{ n: number }>(
            `select count(*)::int as n from tasker.tasks where id = any($1::uuid[]) and state = 'complete'`,
            [ids],
          )
        ).rows[0]?.n as number;
      }
      expect(complete).toBe(ids.length);

      const tasks = await admin.query<{ id: string; run_at: number | null; created_at: number }>(
        'select id, run_at::float8 as run_at, created_at::float8 as created_at from tasker.tasks where id = any($1::uuid[])',
        [ids],
      );
      const runAt = new Map(tasks.rows.map((t) => [t.id, t.run_at]));
      // The runAts asked for are kept as given; a delay counts from the task's creation.
      for (const [i, id] of ids.slice(0, AT).entries())
        expect(runAt.get(id)).toBe((requests[i] as { runAt: number }).runAt);
      for (const t of tasks.rows.filter((x) => delayedIds.slice(AT).includes(x.id)))
        expect(t.run_at).toBeGreaterThanOrEqual(t.created_at + 2_000);
      for (const id of pastIds) expect(runAt.get(id)).toBeNull();

      const claims = await admin.query<{ task_id: string; step: string; at: number; run_at: number | null }>(
        `select tr.task_id, tr.step_name as step, tr.created_at::float8 as at, t.run_at::float8 as run_at
         from tasker.transitions tr join tasker.tasks t on t.id = tr.task_id
         where tr.reason = 'claimed' and tr.task_id = any($1::uuid[])`,
        [ids],
      );
      expect(claims.rows.length).toBe(ids.length * 2);
      const early = claims.rows.filter((c) => c.run_at !== null && c.at < c.run_at);
      expect(early).toEqual([]);
      const firsts = claims.rows.filter((c) => c.step === 'first' && c.run_at !== null);
      expect(firsts.length).toBe(delayedIds.length);
      const lag = firsts.map((c) => c.at - (c.run_at as number)).sort((a, b) => a - b);
      console.log(
        `runAt: ${firsts.length} delayed first steps claimed ${lag[0]}–${lag.at(-1)} ms after run_at (median ${lag[lag.length >> 1]} ms)`,
      );
      expect(troubleLines(started)).toEqual([]);
      for (const w of started) expect(await workers.stop(w)).toEqual({ code: 0, signal: null });
    } finally {
      await admin.end();
      await store.close();
    }
  }, 120_000);
});
