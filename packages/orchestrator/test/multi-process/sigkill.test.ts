import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker } from '../../src/index';
import { describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';
import { SIDE_EFFECTS_DDL, WorkerProcesses } from '../support/worker-processes';
import { leaseTask } from './task';

const LEASE_MS = 2_000;

describeWithPostgres('a worker process killed with SIGKILL mid-step', (database) => {
  const workers = new WorkerProcesses();
  afterAll(() => workers.killAll());

  it('another process completes the step after the lease expires, with exactly one completion, without polling', async () => {
    const url = database().url;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const store = await createPostgresStore({ connectionString: url, poolSize: 2 });
    try {
      await admin.query(SIDE_EFFECTS_DDL);
      // Polling once an hour: the survivor wakes for the expired lease by itself.
      const env = {
        TASKER_MP_DATABASE_URL: url,
        TASKER_MP_LEASE_MS: String(LEASE_MS),
        TASKER_MP_POLL_MS: '3600000',
      };
      const pair = [await workers.start(env), await workers.start(env)];
      // This process only submits; the handlers run in the worker processes.
      const notHere = async () => {
        throw new Error('handlers run in the worker processes');
      };
      const submitter = createTasker({
        store,
        tasks: [leaseTask],
        handlers: { work: notHere, hangOnFirstAttempt: notHere },
      });
      const { taskId } = await submitter.submit({
        namespace: 'mp',
        name: 'lease',
        version: '1.0.0',
        context: {},
      });

      // The first attempt of `slow` starts in one of the two processes and hangs there.
      const first = await until(
        'the first attempt of "slow" to start',
        () => admin.query(`select pid from side_effects where step_name = 'slow' and attempt = 1`),
        (r) => r.rows.length === 1,
      );
      const victim = pair.find((w) => w.pid === first.rows[0].pid)!;
      const survivor = pair.find((w) => w !== victim)!;
      const slowStep = `select id, state, attempts, lease_owner, lease_expires_at::float8 as lease_expires_at
        from tasker.steps where task_id = $1 and name = 'slow'`;
      const held = (await admin.query(slowStep, [taskId])).rows[0];
      expect(held).toMatchObject({ state: 'in_progress', attempts: 1 });
      expect(held.lease_owner).toContain(`:${victim.pid}:`);

      expect(await workers.stop(victim, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      // Nothing renews the lease any more: it ends at this time (by the database clock).
      const leaseEnd = (await admin.query(slowStep, [taskId])).rows[0].lease_expires_at as number;

      const done = await until(
        'the task to complete',
        () => store.getTask(taskId),
        (t) => t?.state === 'complete',
        { intervalMs: 100, tries: 600 },
      );
      expect(done!.steps.map((s) => [s.name, s.state, s.attempts])).toEqual([
        ['prepare', 'complete', 1],
        ['slow', 'complete', 2],
        ['finish', 'complete', 1],
      ]);

      // The order of events in the audit trail: claimed by the victim, its lease expired, taken
      // over by the survivor, completed once; `finish` was claimed only after that completion.
      const trail = (
        await admin.query(
          `select id::int, step_name, from_state, to_state, reason, metadata, created_at::float8 as at
           from tasker.transitions where task_id = $1 order by id`,
          [taskId],
        )
      ).rows;
      const slow = trail.filter((t) => t.step_name === 'slow');
      expect(slow.map((t) => [t.from_state, t.to_state, t.reason])).toEqual([
        [null, 'pending', null],
        ['pending', 'in_progress', 'claimed'],
        ['in_progress', 'pending', 'lease_expired'],
        ['pending', 'in_progress', 'claimed'],
        ['in_progress', 'complete', null],
      ]);
      expect(slow[1].metadata).toMatchObject({ attempt: 1 });
      expect(slow[1].metadata.worker).toContain(`:${victim.pid}:`);
      expect(slow[3].metadata).toMatchObject({ attempt: 2 });
      expect(slow[3].metadata.worker).toContain(`:${survivor.pid}:`);
      // The takeover happened no earlier than the end of the dead worker's last lease.
      expect(slow[2].at).toBeGreaterThanOrEqual(leaseEnd);
      const finishClaim = trail.find((t) => t.step_name === 'finish' && t.to_state === 'in_progress')!;
      expect(finishClaim.id).toBeGreaterThan(slow[4].id);

      // Exactly one completion per step, and one for the task.
      const completions = trail.filter((t) => t.to_state === 'complete');
      expect(completions.map((t) => t.step_name ?? '(task)').sort()).toEqual(
        ['(task)', 'finish', 'prepare', 'slow'].sort(),
      );
      // Which process ran which attempt: the victim ran attempt 1 of `slow` only, and it is dead.
      const runs = (await admin.query('select step_name, attempt, pid from side_effects order by seq')).rows;
      expect(runs.filter((r) => r.step_name === 'slow')).toEqual([
        { step_name: 'slow', attempt: 1, pid: victim.pid },
        { step_name: 'slow', attempt: 2, pid: survivor.pid },
      ]);
      expect(runs.find((r) => r.step_name === 'finish')).toEqual({
        step_name: 'finish',
        attempt: 1,
        pid: survivor.pid,
      });
      expect(await workers.stop(survivor)).toEqual({ code: 0, signal: null });
    } finally {
      await store.close();
      await admin.end();
    }
  }, 120_000);
});
