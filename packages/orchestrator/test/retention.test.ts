/**
 * The retention sweep (issue #13) removes exactly the finished tasks its policy says, with their
 * steps, audit and identity windows, and nothing else: on PostgreSQL over 20,000 tasks (their
 * audit archived), on PGlite over 2,000. A dry run counts what the run then removes; a second
 * sweeper finds the lock taken and stops; the engine announces each run as `retention.swept`.
 */

import { createEventRouter, type RoutedEvent } from '@tasker/router';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createPgliteDriver,
  createPostgresDriver,
  createTasker,
  defineTask,
  parseConfig,
  pauseAfter,
  runRetention,
  type SqlDriver,
  TaskStore,
} from '../src/index';
import { RETENTION_LOCK } from '../src/store/store-retention';
import { createTestDatabase, describeWithPostgres } from './support/postgres';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

/**
 * `n` tasks, each with one step, five audit rows and (every seventh) an identity window: states
 * cycle through the four finished ones and `in_progress`, namespaces through shop, billing and
 * ops, and ages through 0..39 days (finished 500 ms after creation). Windows of even tasks
 * expired a second ago; odd ones end in an hour.
 */
const fill = (n: number) => `
begin;
create temp table r on commit drop as
  select gen_random_uuid() as id, gen_random_uuid() as step_id, g as i,
    (array['complete', 'error', 'cancelled', 'resolved_manually', 'in_progress'])[1 + g % 5] as state,
    (array['shop', 'billing', 'ops'])[1 + (g / 5) % 3] as namespace,
    ${NOW} - (g % 40) * ${DAY}::bigint - 1000 as created_at
  from generate_series(1, ${n}) g;
insert into tasker.tasks (id, namespace, name, version, state, context, tags, annotations, bypass_steps,
  unfinished_steps, created_at, updated_at, completed_at)
select id, namespace, 'keep', '1.0.0', state, jsonb_build_object('i', i), '{}', '{}', '{}',
  case when state = 'in_progress' then 1 else 0 end, created_at, created_at + 500,
  case when state in ('complete', 'cancelled', 'resolved_manually') then created_at + 500 end
from r;
insert into tasker.steps (id, task_id, name, handler, position, state, retryable, retry_limit, skippable, inputs,
  pending_parents, created_at)
select step_id, id, 'only', 'only', 0, case when state = 'in_progress' then 'pending' else 'complete' end, true, 1,
  false, '{}', 0, created_at
from r;
insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, metadata, created_at)
select r.id, case when x.step then r.step_id end, case when x.step then 'only' end, x.f, x.t, '{}', r.created_at
from r, (values (false, null, 'pending'), (false, 'pending', 'in_progress'), (true, null, 'pending'),
  (true, 'pending', 'in_progress'), (false, 'in_progress', 'complete')) as x(step, f, t);
insert into tasker.identity_windows (key, task_id, created_at, expires_at)
select 'k' || i, id, created_at, case when i % 2 = 0 then ${NOW} - 1000 else ${NOW} + 3600000 end
from r where i % 7 = 0;
commit;`;

const policy = parseConfig({
  retention: {
    keepMs: { complete: 7 * DAY, cancelled: 3 * DAY, error: 30 * DAY },
    namespaces: { billing: { complete: 20 * DAY } },
    batchSize: 500,
    pauseMs: 0,
    dutyCycle: 1,
  },
}).retention;

/** The ids the policy removes at NOW, by SQL written apart from the sweep's. */
const EXPECTED = `
select id from tasker.tasks
where coalesce(completed_at, updated_at) < ${NOW} - case
  when state = 'complete' and namespace = 'billing' then ${20 * DAY}
  when state = 'complete' then ${7 * DAY}
  when state = 'cancelled' then ${3 * DAY}
  when state = 'error' then ${30 * DAY}
  end`;

type Query = (text: string) => Promise<{ rows: Record<string, unknown>[] }>;

async function count(query: Query, text: string): Promise<number> {
  return Number((await query(`select count(*)::int as n from (${text}) x`)).rows[0]?.n);
}

async function sweepsExactly(driver: SqlDriver, query: Query, n: number, archive: boolean): Promise<void> {
  const store = new TaskStore(driver);
  await store.migrate();
  await driver.exec(fill(n));
  const doomed = new Set((await query(EXPECTED)).rows.map((r) => String(r.id)));
  const before = {
    tasks: await count(query, 'select 1 from tasker.tasks'),
    transitions: await count(query, 'select 1 from tasker.transitions'),
  };
  expect(doomed.size).toBeGreaterThan(n / 4);
  // Expired windows of tasks that stay: the sweep removes these itself (the others go with their task).
  const expiredKept = await count(
    query,
    `select 1 from tasker.identity_windows w where w.expires_at <= ${NOW} and w.task_id not in (${EXPECTED})`,
  );
  expect(expiredKept).toBeGreaterThan(0);
  const options = { now: () => NOW, workerId: 'test' };
  const dry = await runRetention(store, { ...policy, archive }, { ...options, dryRun: true });
  expect(dry).toMatchObject({ tasks: doomed.size, transitions: doomed.size * 5, complete: true });
  // The dry run counts every expired window, those that would go with their tasks as well.
  expect(dry.identityKeys).toBeGreaterThan(expiredKept);
  const run = await runRetention(store, { ...policy, archive }, options);
  expect(run).toMatchObject({
    tasks: doomed.size,
    transitions: doomed.size * 5,
    archived: archive ? doomed.size * 5 : 0,
    identityKeys: expiredKept,
    complete: true,
  });
  expect(run.batches).toBeGreaterThan(doomed.size / 500);
  // Exactly the due tasks are gone, with everything of theirs; everything else is there.
  const left = new Set((await query('select id from tasker.tasks')).rows.map((r) => String(r.id)));
  expect(left.size).toBe(before.tasks - doomed.size);
  for (const id of doomed) expect(left.has(id)).toBe(false);
  expect(await count(query, EXPECTED)).toBe(0);
  expect(await count(query, 'select 1 from tasker.transitions')).toBe(before.transitions - doomed.size * 5);
  expect(await count(query, 'select 1 from tasker.steps')).toBe(left.size);
  expect(await count(query, 'select 1 from tasker.transitions_archive')).toBe(archive ? doomed.size * 5 : 0);
  // Identity windows: the expired ones are gone, the live ones of kept tasks stay.
  expect(await count(query, `select 1 from tasker.identity_windows where expires_at <= ${NOW}`)).toBe(0);
  const liveKeys = await count(query, `select 1 from tasker.identity_windows where expires_at > ${NOW}`);
  expect(liveKeys).toBe(await count(query, `select 1 from tasker.tasks where (context->>'i')::int % 14 = 7`));
  // A second run finds nothing, and is recorded like the first.
  expect(await runRetention(store, { ...policy, archive }, options)).toMatchObject({
    tasks: 0,
    complete: true,
  });
  const runs = await store.retention.recent(5);
  expect(runs.map((r) => [r.dryRun, r.tasks])).toEqual([
    [false, 0],
    [false, doomed.size],
    [true, doomed.size],
  ]);
}

describe('the pause between batches', () => {
  it('keeps the sweep to its duty cycle, and to at least pauseMs', () => {
    expect(pauseAfter(100, { pauseMs: 20, dutyCycle: 0.1 })).toBe(900);
    expect(pauseAfter(1, { pauseMs: 20, dutyCycle: 0.1 })).toBe(20);
    expect(pauseAfter(100, { pauseMs: 0, dutyCycle: 1 })).toBe(0);
  });
});

describe('retention on PGlite', () => {
  it('removes exactly the tasks past the policy, with their rows, and counts it first in a dry run', async () => {
    const driver = await createPgliteDriver();
    try {
      await sweepsExactly(driver, (text) => driver.query(text), 2_000, false);
    } finally {
      await driver.close();
    }
  }, 120_000);

  it('announces each run as retention.swept, and a worker runs it by itself', async () => {
    const events: RoutedEvent[] = [];
    const router = createEventRouter({
      mappings: [{ eventName: 'retention.*', backends: ['rec'] }],
      backends: { rec: { name: 'rec', handle: (e) => void events.push(e) } },
    });
    const tasker = createTasker({
      tasks: [defineTask({ name: 'noop', steps: [{ name: 'a', handler: async () => 1 }] })],
      router,
      config: { retention: { keepMs: { complete: 0 }, intervalMs: 1_000, pauseMs: 0, dutyCycle: 1 } },
      random: () => 0,
    });
    try {
      const { taskId } = await tasker.submit({ name: 'noop', context: {} });
      await tasker.start();
      await tasker.waitFor(taskId);
      // The worker's sweep (first after 1 s) removes the task: it finished before now.
      for (let i = 0; i < 100 && (await tasker.getTask(taskId)) !== undefined; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(await tasker.getTask(taskId)).toBeUndefined();
      const swept = events.find((e) => (e.payload as { tasks: number }).tasks === 1);
      expect(swept?.name).toBe('retention.swept');
      expect(swept?.payload).toMatchObject({ tasks: 1, transitions: 6, complete: true, dryRun: false });
      expect((await tasker.retentionRuns(1))[0]).toMatchObject({ dryRun: false, complete: true });
      // A router without a mapping for it gets one: to metrics and logs, like task outcomes.
      const plain = createEventRouter();
      createTasker({ tasks: [], router: plain });
      expect(plain.mappingFor('retention.swept')?.backends).toEqual(['metrics', 'logs']);
      // It is a default: a pattern the user maps afterwards beats it.
      plain.map('retention.*', { backends: ['logs'] });
      expect(plain.stats().decisions['retention.swept']).toEqual({ layer: 'user', mapping: 'retention.*' });
    } finally {
      await tasker.stop();
    }
  }, 60_000);
});

describeWithPostgres('retention on PostgreSQL', (database) => {
  it('sweeps 20,000 tasks: removes exactly those past the policy, their audit archived', async () => {
    const db = await createTestDatabase(database().url);
    const driver = await createPostgresDriver({ connectionString: db.url, poolSize: 2 });
    try {
      await sweepsExactly(driver, (text) => driver.query(text), 20_000, true);
    } finally {
      await driver.close();
      await db.drop();
    }
  }, 180_000);

  it('runs one sweep at a time: a second finds the lock taken and stops without removing anything', async () => {
    const db = await createTestDatabase(database().url);
    const driver = await createPostgresDriver({ connectionString: db.url, poolSize: 2 });
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      const store = new TaskStore(driver);
      await store.migrate();
      await driver.exec(fill(200));
      const due = await count((t) => driver.query(t), EXPECTED);
      await other.query('begin');
      await other.query('select pg_advisory_xact_lock($1)', [RETENTION_LOCK]);
      const blocked = await runRetention(store, policy, { now: () => NOW, workerId: 'second' });
      expect(blocked).toMatchObject({
        tasks: 0,
        complete: false,
        skipped: expect.stringMatching(/another process/),
      });
      expect(await count((t) => driver.query(t), EXPECTED)).toBe(due);
      await other.query('commit');
      expect((await runRetention(store, policy, { now: () => NOW, workerId: 'second' })).tasks).toBe(due);
    } finally {
      await other.end();
      await driver.close();
      await db.drop();
    }
  }, 60_000);
});
