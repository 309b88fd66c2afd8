/**
 * A rate limit across processes (issue #14, acceptance 1): 300 one-step tasks whose steps share
 * the key `partner-api`, limited to N = 20 starts a second with a burst of B = 5, worked by 3
 * engine processes whose 24 slots and short handlers could start hundreds a second.
 *
 * A start is a claim: its time is the claim's `now` (the `created_at` of the step's `claimed`
 * transition), the time the key's bucket was charged with. The rule: every window of one second,
 * [s, s + 1000 ms), holds at most N + B starts. The busiest window starts at a start, so the
 * windows that begin at each start are all that need counting. The rate must also be reached
 * (some window holds N or more), or a limit that admits too little would pass.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/index';
import { FlowWorkerProcesses, flowSubmitter, submitAll, troubleLines } from '../support/flow-workers';
import { describeWithPostgres } from '../support/postgres';
import { THROTTLE } from './flow-tasks';

const TASKS = 300;
const WORKERS = 3;
const WINDOW_MS = 1_000;

/** The most starts in any window [s, s + windowMs) of the sorted `starts`, and where it begins. */
function busiestWindow(starts: readonly number[], windowMs: number): { count: number; from: number } {
  let best = { count: 0, from: Number.NaN };
  let end = 0;
  for (let i = 0; i < starts.length; i++) {
    while (end < starts.length && (starts[end] as number) < (starts[i] as number) + windowMs) end++;
    if (end - i > best.count) best = { count: end - i, from: starts[i] as number };
  }
  return best;
}

describeWithPostgres('a rate limit across worker processes', (database) => {
  const workers = new FlowWorkerProcesses();
  afterAll(() => workers.killAll());

  it('starts at most N + B steps of the key in any one-second window, across 3 processes, and reaches N', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const submitter = flowSubmitter(store);
      const ids = await submitAll(
        submitter,
        Array.from({ length: TASKS }, (_, i) => ({
          namespace: 'mpflow',
          name: 'throttled',
          version: '1.0.0',
          context: { i },
        })),
      );
      const started = await Promise.all(
        Array.from({ length: WORKERS }, () => workers.start({ TASKER_MP_DATABASE_URL: url })),
      );
      // At 20 a second, 300 starts take about 14 s; the bound only turns a hang into a failure.
      let complete = 0;
      for (let i = 0; i < 600 && complete < TASKS; i++) {
        await sleep(200);
        complete = (
          await admin.query<{ n: number }>(
            `select count(*)::int as n from tasker.tasks where id = any($1::uuid[]) and state = 'complete'`,
            [ids],
          )
        ).rows[0]?.n as number;
      }
      expect(complete).toBe(TASKS);

      const claims = await admin.query<{ at: number; pid: string }>(
        `select t.created_at::float8 as at, split_part(t.metadata->>'worker', ':', 2) as pid
         from tasker.transitions t join tasker.steps s on s.id = t.step_id
         where t.reason = 'claimed' and s.rate_key = $1
         order by t.created_at`,
        [THROTTLE.key],
      );
      const starts = claims.rows.map((r) => r.at);
      expect(starts.length).toBeGreaterThanOrEqual(TASKS);
      // More than one process took part: the limit held across them, not within one. (Which
      // process wins each start is a race of their wake-ups, all due at the same time; one whose
      // clock estimate runs a millisecond late can lose every one of them: one run in four saw
      // two of the three processes start steps.)
      expect(new Set(claims.rows.map((r) => r.pid)).size).toBeGreaterThanOrEqual(2);
      const busiest = busiestWindow(starts, WINDOW_MS);
      const spanMs = (starts.at(-1) as number) - (starts[0] as number);
      console.log(
        `rate limit: ${starts.length} starts over ${spanMs} ms (${((starts.length / spanMs) * 1000).toFixed(1)}/s); busiest window ${busiest.count} from ${busiest.from - (starts[0] as number)} ms`,
      );
      expect(busiest.count).toBeLessThanOrEqual(THROTTLE.limit + THROTTLE.burst);
      expect(busiest.count).toBeGreaterThanOrEqual(THROTTLE.limit);
      expect(troubleLines(started)).toEqual([]);
      for (const w of started) expect(await workers.stop(w)).toEqual({ code: 0, signal: null });
    } finally {
      await admin.end();
      await store.close();
    }
  }, 240_000);
});
