/**
 * Two engine processes with the default lease (2.5 s) on a private PostgreSQL that is stopped
 * for 10 s and started again, while handlers that honour their signal run (1 s and 12 s steps,
 * twelve at once per process). The first process re-syncs its clock every 20 s, so that its
 * first re-sync falls 2 s into the outage; the second (started 5 s after the first) every 30 s,
 * so that its first re-sync comes after the database is back: a re-sync that absorbed the
 * outage would put the first process some 5 s (two leases) ahead of the second and make it
 * take over steps whose leases the second still renews. The run goes on past both re-syncs.
 * (The timers are shorter than the engine's defaults, 60 s between re-syncs, so that the file
 * takes about a minute; what matters is kept: the outage is four leases long, and the skew a
 * re-sync inside it would cause is two leases.)
 *
 * Every handler run prints its start and end (one wall clock: one machine). No step may ever
 * run on two workers at once: the intervals of each step's runs must not overlap.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker, type TaskStore } from '../../src/index';
import { createTestDatabase, describeWithPrivatePostgres } from '../support/postgres';
import { WorkerProcesses } from '../support/worker-processes';
import { outageTask } from './task';

const TASKS = 40;
/** The engine's default lease. */
const LEASE_MS = 2_500;
/** How often each process re-syncs its clock, first after this long from its start. */
const FIRST_CLOCK_SYNC_MS = 20_000;
const SECOND_CLOCK_SYNC_MS = 30_000;
/** From the first process's start. */
const SECOND_WORKER_AT_MS = 5_000;
/** The first process's re-sync (20 s) comes 2 s after this. */
const OUTAGE_FROM_MS = 18_000;
const OUTAGE_MS = 10_000;
/** Past the second process's re-sync (35 s and more) too. */
const RUN_AT_LEAST_MS = 45_000;

interface Run {
  readonly pid: number;
  readonly stepId: string;
  readonly attempt: number;
  readonly start: number;
  readonly end: number;
  readonly how: string;
}

function runsOf(pid: number, lines: readonly string[]): Run[] {
  return lines
    .filter((l) => l.startsWith('run\t'))
    .map((l) => {
      const [, stepId, attempt, start, end, how] = l.split('\t');
      return {
        pid,
        stepId: String(stepId),
        attempt: Number(attempt),
        start: Number(start),
        end: Number(end),
        how: String(how),
      };
    });
}

describeWithPrivatePostgres('two engine processes through a 10 s database outage', (server) => {
  const workers = new WorkerProcesses();
  afterAll(() => workers.killAll());

  it('never runs a step on two workers at once, past every clock re-sync', async () => {
    const db = await createTestDatabase(server().url);
    let store: TaskStore | undefined = await createPostgresStore({ connectionString: db.url, poolSize: 2 });
    const submitter = createTasker({ store, tasks: [outageTask], handlers: { timed: async () => null } });
    for (let i = 0; i < TASKS; i++)
      await submitter.submit({ namespace: 'mp', name: 'outage', version: '1.0.0', context: { i } });
    // Nothing of the test's own holds a connection through the outage.
    await store.close();
    store = undefined;

    const env = (clockSyncMs: number) => ({
      TASKER_MP_DATABASE_URL: db.url,
      TASKER_MP_LEASE_MS: String(LEASE_MS),
      TASKER_MP_POLL_MS: '1000',
      TASKER_MP_CLOCK_SYNC_MS: String(clockSyncMs),
      TASKER_MP_CONCURRENCY: '12',
    });
    const first = await workers.start(env(FIRST_CLOCK_SYNC_MS));
    const t0 = Date.now();
    await sleep(SECOND_WORKER_AT_MS);
    const second = await workers.start(env(SECOND_CLOCK_SYNC_MS));
    const secondResyncAt = Date.now() + SECOND_CLOCK_SYNC_MS;
    await sleep(t0 + OUTAGE_FROM_MS - Date.now());
    const outageFrom = Date.now();
    await server().stop();
    await sleep(OUTAGE_MS);
    const restartingAt = Date.now();
    await server().start();
    const outageEnd = Date.now();
    await sleep(Math.max(0, t0 + RUN_AT_LEAST_MS - Date.now()));

    store = await createPostgresStore({ connectionString: db.url, poolSize: 2 });
    try {
      for (let i = 0; i < 1_200; i++) {
        const done = await store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 });
        if (done.total === TASKS) break;
        await sleep(100);
      }
      for (const w of [first, second]) expect(await workers.stop(w)).toEqual({ code: 0, signal: null });

      const runs = [...runsOf(first.pid, first.lines), ...runsOf(second.pid, second.lines)];
      const byStep = new Map<string, Run[]>();
      for (const r of runs) byStep.set(r.stepId, [...(byStep.get(r.stepId) ?? []), r]);
      const overlaps: string[] = [];
      for (const [stepId, list] of byStep) {
        list.sort((a, b) => a.start - b.start);
        for (let i = 1; i < list.length; i++) {
          const a = list[i - 1] as Run;
          const b = list[i] as Run;
          if (b.start < a.end) {
            overlaps.push(
              `step ${stepId}: attempt ${a.attempt} on ${a.pid} ran ${a.start}–${a.end} (${a.how}), attempt ${b.attempt} on ${b.pid} started at ${b.start}`,
            );
          }
        }
      }
      expect(overlaps).toEqual([]);
      // The scenario happened: the outage spanned the first process's re-sync and was over
      // before the second's; both processes ran steps, steps started after the outage and ran
      // past the second's re-sync, and some were cut short by it.
      console.log(
        `[database outage] down from ${outageFrom - t0} ms to ${outageEnd - t0} ms after the first process's start; ` +
          `re-syncs at about ${FIRST_CLOCK_SYNC_MS} ms (first) and ${secondResyncAt - t0} ms (second); ${runs.length} runs`,
      );
      expect(outageFrom).toBeLessThan(t0 + FIRST_CLOCK_SYNC_MS);
      expect(outageEnd).toBeLessThan(secondResyncAt);
      for (const w of [first, second]) expect(runs.some((r) => r.pid === w.pid)).toBe(true);
      expect(runs.some((r) => r.start > outageEnd)).toBe(true);
      expect(runs.some((r) => r.end > secondResyncAt)).toBe(true);
      // Handlers that ran into the outage were stopped while the database was still down: their
      // leases could not be renewed (without that they ran on until a renewal after the restart
      // found the step taken over, and overlapped its next run).
      expect(runs.some((r) => r.how === 'aborted' && r.end > outageFrom && r.end < restartingAt)).toBe(true);
      expect((await store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 })).total).toBe(TASKS);
    } finally {
      await store.close();
    }
  }, 300_000);
});
