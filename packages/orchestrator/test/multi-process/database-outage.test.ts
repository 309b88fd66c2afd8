/**
 * Two engine processes with the default lease (10 s) and clock re-sync (every 60 s) on a private
 * PostgreSQL that is stopped for 20 s and started again, while handlers that honour their
 * signal run (3 s and 25 s steps). The first process starts 25 s before the second, so that
 * its clock re-sync falls inside the outage and the second's after it: a re-sync that absorbs
 * the outage would put the first process seconds ahead of the second and make it take over
 * steps whose leases the second still renews. The run goes on well past both re-syncs.
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
/** From the first process's start. Its re-sync is due 60 s after its start. */
const SECOND_WORKER_AT_MS = 25_000;
const OUTAGE_FROM_MS = 55_000;
const OUTAGE_MS = 20_000;
/** Past the second process's re-sync (85 s) too. */
const RUN_AT_LEAST_MS = 110_000;

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

describeWithPrivatePostgres('two engine processes through a 20 s database outage', (server) => {
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

    const env = { TASKER_MP_DATABASE_URL: db.url, TASKER_MP_LEASE_MS: '10000', TASKER_MP_POLL_MS: '1000' };
    const first = await workers.start(env);
    const t0 = Date.now();
    await sleep(SECOND_WORKER_AT_MS);
    const second = await workers.start(env);
    await sleep(t0 + OUTAGE_FROM_MS - Date.now());
    await server().stop();
    await sleep(OUTAGE_MS);
    await server().start();
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
      // Both processes ran steps before and after the outage, and some steps were cut short
      // by it: the scenario happened.
      for (const w of [first, second]) expect(runs.some((r) => r.pid === w.pid)).toBe(true);
      expect(runs.some((r) => r.start > t0 + OUTAGE_FROM_MS + OUTAGE_MS)).toBe(true);
      // Handlers that ran into the outage were stopped while the database was still down: their
      // leases could not be renewed (without that they ran on until a renewal after the restart
      // found the step taken over, and overlapped its next run).
      const outageEnd = t0 + OUTAGE_FROM_MS + OUTAGE_MS;
      expect(runs.some((r) => r.how === 'aborted' && r.end > t0 + OUTAGE_FROM_MS && r.end < outageEnd)).toBe(
        true,
      );
      expect((await store.listTasks({ namespace: 'mp', state: 'complete', limit: 1 })).total).toBe(TASKS);
    } finally {
      await store.close();
    }
  }, 300_000);
});
