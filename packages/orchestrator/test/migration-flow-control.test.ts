/**
 * Migration 7 (flow control) on a database filled under migrations 1 to 6, as a running 0.6
 * engine left it (DESIGN.md section 7): the live steps keep their place in the rebuilt claim
 * index (priority 0, no hold), an errored task's steps stay out of it, and during a rolling
 * deploy the previous engine's claim statement (`fixtures/claim-steps-0006.sql`) still claims
 * plain steps but never a step with a limit, which only this version's claim admits. Then the
 * engine runs every task to its end.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { expect, it } from 'vitest';
import {
  createPostgresDriver,
  createPostgresStore,
  createTasker,
  defineTask,
  MIGRATIONS,
  migrate,
  type NewStep,
} from '../src/index';
import { oneStepTask } from './support/one-step-task';
import { createTestDatabase, describeWithPostgres } from './support/postgres';

const OLD_CLAIM = readFileSync(new URL('./fixtures/claim-steps-0006.sql', import.meta.url), 'utf8');
const KEY = 'default legacy/work@1.0.0';

describeWithPostgres('migration 7 on a database of migration 6', (database) => {
  it('keeps live steps claimable, lets the previous claim run beside this one without breaking a limit, and the engine finishes', async () => {
    const db = await createTestDatabase(database().url);
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const driver = await createPostgresDriver({ connectionString: db.url, poolSize: 2 });
      expect(
        await migrate(
          driver,
          MIGRATIONS.filter((m) => m.id <= 6),
        ),
      ).toEqual([1, 2, 3, 4, 5, 6]);
      await driver.close();
      // Rows as the 0.6 engine wrote them: a running task with two ready steps and a retry due,
      // and an errored task whose pending step is out of the claim index.
      const now = Date.now();
      const running = randomUUID();
      const failed = randomUUID();
      for (const [id, state] of [
        [running, 'in_progress'],
        [failed, 'error'],
      ] as const) {
        await admin.query(
          `insert into tasker.tasks (id, namespace, name, version, state, context, unfinished_steps, created_at, updated_at)
           values ($1, 'legacy', 'work', '1.0.0', $2, '{}', 3, $3, $3)`,
          [id, state, now - 5_000],
        );
      }
      const step = (taskId: string, name: string, state: string, readyAt: number | null, position: number) =>
        admin.query(
          `insert into tasker.steps (id, task_id, name, handler, position, state, retryable, retry_limit, skippable,
             inputs, pending_parents, ready_at, next_attempt_at, created_at, queue, claim_key)
           values ($1, $2, $3, 'only', $4, $5, true, 3, false, '{}', 0, $6,
             case when $5 = 'waiting_for_retry' then $6::bigint end, $7, 'default', $8)`,
          [randomUUID(), taskId, name, position, state, readyAt, now - 5_000, KEY],
        );
      await step(running, 'a', 'pending', now - 4_000, 0);
      await step(running, 'b', 'pending', now - 3_000, 1);
      await step(running, 'c', 'waiting_for_retry', now - 2_000, 2);
      await step(failed, 'a', 'pending', null, 0);

      const store = await createPostgresStore({ connectionString: db.url, poolSize: 3 });
      expect(await store.migrate()).toEqual([7, 8]);
      const live = await admin.query(
        `select s.name, s.priority, s.hold, s.ready_at is not null as indexed from tasker.steps s
         join tasker.tasks t on t.id = s.task_id order by t.state desc, s.name`,
      );
      expect(live.rows).toEqual([
        { name: 'a', priority: 0, hold: null, indexed: true },
        { name: 'b', priority: 0, hold: null, indexed: true },
        { name: 'c', priority: 0, hold: null, indexed: true },
        { name: 'a', priority: 0, hold: null, indexed: false },
      ]);

      // A step with a concurrency limit, written by this version, older than every other.
      const limited = await store.createTask(
        oneStepTask({
          namespace: 'legacy',
          name: 'work',
          steps: [
            {
              ...(oneStepTask().steps[0] as NewStep),
              retryLimit: 3,
              concurrency: { key: 'legacy-limit', limit: 1 },
            },
          ],
        }),
        now - 10_000,
      );
      // The previous engine's claim: the plain steps in order, never the limited one.
      const old = await admin.query(OLD_CLAIM, [now, 10, 'old-worker', 30_000, [KEY], null]);
      expect(
        old.rows
          .filter((r) => r.id !== null)
          .map((r) => r.name)
          .sort(),
      ).toEqual(['a', 'b', 'c']);
      const fresh = await store.claim('new-worker', now, 10, 30_000, [KEY]);
      expect(fresh.map((c) => `${c.task.id}:${c.name}`)).toEqual([`${limited.taskId}:a`]);

      // Both engines' claims hold leases; the engine takes the old worker's over when they expire.
      await admin.query(
        `update tasker.steps set lease_expires_at = $1, ready_at = $1 where state = 'in_progress'`,
        [now - 1],
      );
      const engine = createTasker({
        store,
        tasks: [
          defineTask({
            namespace: 'legacy',
            name: 'work',
            version: '1.0.0',
            steps: ['a', 'b', 'c'].map((name) => ({ name, handler: 'only' })),
          }),
        ],
        handlers: { only: async () => 'ran' },
      });
      await engine.start();
      try {
        expect((await engine.waitFor(running, { timeoutMs: 30_000 })).state).toBe('complete');
        expect((await engine.waitFor(limited.taskId, { timeoutMs: 30_000 })).state).toBe('complete');
        expect((await engine.getTask(failed))?.state).toBe('error');
      } finally {
        await engine.stop();
        await store.close();
      }
    } finally {
      await admin.end();
      await db.drop();
    }
  });
});
