/**
 * The claim's indexes on PostgreSQL: finished work leaves them, expired leases come first, the
 * claim's plan walks them without visiting other tasks' steps, and a database filled by the
 * previous schema migrates onto them.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresStore, createTasker, defineTask, type NewTask, type TaskStore } from '../src/index';
import { claimKey } from '../src/store/claim-key';
import { migration0001 } from '../src/store/migrations/0001-initial';
import { claimSteps } from '../src/store/sql/claim-steps';
import { createTestDatabase, describeWithPostgres } from './support/postgres';

const NOW = 1_900_000_000_000;

function task(
  namespace: string,
  steps: { name: string; dependsOn?: string[]; retryable?: boolean }[],
): NewTask {
  return {
    namespace,
    name: 'work',
    version: '1.0.0',
    context: {},
    tags: [],
    annotations: {},
    bypassSteps: [],
    steps: steps.map((s) => ({
      name: s.name,
      handler: s.name,
      retryable: s.retryable ?? true,
      retryLimit: 3,
      timeoutMs: undefined,
      skippable: false,
      dependsOn: s.dependsOn ?? [],
    })),
  };
}

describeWithPostgres('claim indexes (PostgreSQL)', (database) => {
  let store: TaskStore;
  let admin: pg.Client;

  beforeAll(async () => {
    store = await createPostgresStore({ connectionString: database().url, poolSize: 4 });
    await store.migrate();
    admin = new pg.Client({ connectionString: database().url });
    await admin.connect();
  });
  afterAll(async () => {
    await store?.close();
    await admin?.end();
  });

  const readyAt = async (taskId: string) =>
    Object.fromEntries(
      (
        await admin.query<{ name: string; state: string; ready_at: string | null }>(
          'select name, state, ready_at::text from tasker.steps where task_id = $1 order by name',
          [taskId],
        )
      ).rows.map((r) => [r.name, `${r.state}@${r.ready_at ?? 'null'}`]),
    );

  it('a task that leaves in_progress takes its steps out of the claim indexes, in the same statement; a retry puts them back', async () => {
    const ns = 'leave';
    const key = claimKey('default', ns, 'work', '1.0.0');
    const { taskId } = await store.createTask(
      task(ns, [
        { name: 'a', retryable: false },
        { name: 'b' },
        { name: 'c', dependsOn: ['b'] },
        { name: 'd' },
      ]),
      NOW,
    );
    const claimed = await store.claim('w1', NOW, 10, 60_000, [key]);
    const a = claimed.find((s) => s.name === 'a')!;
    const b = claimed.find((s) => s.name === 'b')!;
    // d stays pending and ready: give it back by settling only a and b below.
    expect(claimed.map((s) => s.name).sort()).toEqual(['a', 'b', 'd']);
    const d = claimed.find((s) => s.name === 'd')!;
    await store.settle(
      [
        {
          kind: 'fail',
          stepId: d.id,
          token: d.token,
          error: { name: 'E', message: 'again' },
          retryable: true,
          delayMs: 500,
        },
      ],
      NOW + 1,
    );
    expect(await readyAt(taskId)).toEqual({
      a: `in_progress@${NOW + 60_000}`,
      b: `in_progress@${NOW + 60_000}`,
      c: 'pending@null',
      d: `waiting_for_retry@${NOW + 501}`,
    });
    // a fails for good: the task errors, and in the same statement b completes (releasing c).
    const { change } = await store.settle(
      [
        {
          kind: 'fail',
          stepId: a.id,
          token: a.token,
          error: { name: 'E', message: 'no' },
          retryable: false,
          delayMs: 0,
        },
        { kind: 'complete', stepId: b.id, token: b.token, result: 1 },
      ],
      NOW + 2,
    );
    expect(change.transitions.filter((t) => t.kind === 'task').map((t) => t.to)).toEqual(['error']);
    expect(await readyAt(taskId)).toEqual({
      a: 'error@null',
      b: 'complete@null',
      c: 'pending@null',
      d: 'waiting_for_retry@null',
    });
    expect(await store.claim('w1', NOW + 10_000, 10, 60_000, [key])).toEqual([]);

    await store.retryStep(a.id, NOW + 3);
    expect(await readyAt(taskId)).toEqual({
      a: `pending@${NOW + 3}`,
      b: 'complete@null',
      c: `pending@${NOW + 3}`,
      d: `waiting_for_retry@${NOW + 501}`,
    });
  });

  it('claims expired leases first, before older ready steps', async () => {
    const ns = 'expired';
    const key = claimKey('default', ns, 'work', '1.0.0');
    const { taskId: orphanTask } = await store.createTask(task(ns, [{ name: 'orphan' }]), NOW + 100);
    const [orphan] = await store.claim('dead', NOW + 100, 1, 1_000, [key]);
    expect(orphan?.name).toBe('orphan');
    // A backlog that became ready before the orphan did.
    for (let i = 0; i < 5; i++) await store.createTask(task(ns, [{ name: `old${i}` }]), NOW + i);
    const [first] = await store.claim('survivor', NOW + 5_000, 1, 1_000, [key]);
    expect(first).toMatchObject({ name: 'orphan', fromState: 'in_progress', attempt: 2 });
    expect(first?.task.id).toBe(orphanTask);
    const rest = await store.claim('survivor', NOW + 5_000, 10, 1_000, [key]);
    expect(rest.map((s) => s.name).sort()).toEqual(['old0', 'old1', 'old2', 'old3', 'old4']);
  });

  it("claims by index walks that never visit errored tasks' steps, with no column statistics", async () => {
    const ns = 'plan';
    const key = claimKey('default', ns, 'work', '1.0.0');
    // 300 tasks whose root failed for good while a sibling was ready: errored, with work left.
    for (let i = 0; i < 300; i++) {
      await store.createTask(task(ns, [{ name: 'a', retryable: false }, { name: 'b' }]), NOW - 10_000);
    }
    for (;;) {
      const got = await store.claim('w', NOW - 9_000, 50, 60_000, [key]);
      if (got.length === 0) break;
      const fails = got.filter((s) => s.name === 'a');
      const backs = got.filter((s) => s.name === 'b');
      await store.settle(
        [
          ...fails.map((s) => ({
            kind: 'fail' as const,
            stepId: s.id,
            token: s.token,
            error: { name: 'E', message: 'no' },
            retryable: false,
            delayMs: 0,
          })),
          // b goes back to waiting, due at once: still claimable were its task running.
          ...backs.map((s) => ({
            kind: 'fail' as const,
            stepId: s.id,
            token: s.token,
            error: { name: 'E', message: 'later' },
            retryable: true,
            delayMs: 0,
          })),
        ],
        NOW - 9_000,
      );
    }
    const errored = await admin.query(
      `select count(*)::int as n from tasker.tasks where namespace = $1 and state = 'error'`,
      [ns],
    );
    expect(errored.rows[0].n).toBe(300);
    // One task still running, with one ready step.
    await store.createTask(task(ns, [{ name: 'live' }]), NOW);

    // The transaction's own statistics count what the claim read: index scans and entries. (The
    // joins by id may scan this small table; their plans follow its size, not its statistics.)
    const counters = async () => {
      const i = await admin.query(
        `select c.relname as name, pg_stat_get_xact_numscans(c.oid)::int as scans,
           pg_stat_get_xact_tuples_returned(c.oid)::int as read
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'tasker' and c.relkind = 'i' and c.relname like 'steps%'`,
      );
      const byName = Object.fromEntries(i.rows.map((r) => [r.name, { scans: r.scans, read: r.read }]));
      return { indexes: byName as Record<string, { scans: number; read: number }> };
    };
    // Old row versions leave dead index entries until a vacuum; clear them so that the count
    // below is of live entries. (VACUUM takes no column statistics: the planner still has none.)
    await admin.query('vacuum tasker.steps');
    await admin.query('begin');
    try {
      const before = await counters();
      const claimed = await admin.query(claimSteps.text, [NOW, 10, 'w', 60_000, [key], null, 60_000]);
      const after = await counters();
      expect(claimed.rows.filter((r) => r.id !== null).map((r) => r.name)).toEqual(['live']);
      const delta = (name: string) => ({
        scans: (after.indexes[name]?.scans ?? 0) - (before.indexes[name]?.scans ?? 0),
        read: (after.indexes[name]?.read ?? 0) - (before.indexes[name]?.read ?? 0),
      });
      // Both walks ran on their indexes, and together read the live step's entry and nothing
      // else (the 300 errored tasks' due steps are not in them): the probe for the key's
      // priority levels reads it once, and the walk of its one level once more.
      const ready = delta('steps_claim_idx');
      const lease = delta('steps_lease_idx');
      expect(ready.scans).toBeGreaterThanOrEqual(1);
      expect(lease.scans).toBeGreaterThanOrEqual(1);
      expect(ready.read).toBe(2);
      expect(lease.read).toBe(0);
    } finally {
      await admin.query('rollback');
    }
  });

  it("walks its own key's index only: another key's backlog, older and ready, costs a claim nothing", async () => {
    const mine = claimKey('default', 'mine', 'work', '1.0.0');
    // The statistics were taken when this key's steps were all there was (one version
    // deployed): the planner then thinks that the key filters nothing.
    await admin.query('truncate tasker.tasks cascade');
    await store.createTask(task('mine', [{ name: 'only' }]), NOW - 1_000);
    for (let i = 0; i < 30; i++) await store.createTask(task('mine', [{ name: `later${i}` }]), NOW + 60_000);
    await admin.query('analyze tasker.steps, tasker.tasks');
    // Then 300 ready steps arrive that no worker here runs (the next version of a rolling
    // deploy, a queue with no worker), all ready before the one step this worker can take.
    for (let i = 0; i < 300; i++) await store.createTask(task('backlog', [{ name: 'x' }]), NOW - 20_000 + i);
    await admin.query('vacuum tasker.steps');
    // A session of its own, so that no plan cached by the cases above is reused.
    const fresh = new pg.Client({ connectionString: database().url });
    await fresh.connect();
    await fresh.query('begin');
    try {
      const read = async () =>
        Object.fromEntries(
          (
            await fresh.query<{ name: string; read: number }>(
              `select c.relname as name, pg_stat_get_xact_tuples_returned(c.oid)::int as read
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'tasker' and c.relkind = 'i' and c.relname like 'steps%'`,
            )
          ).rows.map((r) => [r.name, r.read]),
        ) as Record<string, number>;
      const before = await read();
      const claimed = await fresh.query(claimSteps.text, [NOW, 10, 'w', 60_000, [mine], null, 60_000]);
      const after = await read();
      expect(claimed.rows.filter((r) => r.id !== null).map((r) => r.name)).toEqual(['only']);
      // Entries read by every index that orders the claim (the lookups by id aside): this
      // key's ready step (by the probe for its priority levels, then by the walk), and its next
      // one for `next_ready_at`; none of the backlog's (301 entries of `steps_ready_idx` before
      // migration 4).
      const walked = Object.keys(after)
        .filter((name) => name !== 'steps_pkey' && name !== 'steps_task_id_name_key')
        .map((name) => ({ name, read: after[name]! - (before[name] ?? 0) }));
      expect(
        walked.reduce((sum, w) => sum + w.read, 0),
        JSON.stringify(walked),
      ).toBeLessThanOrEqual(3);
    } finally {
      await fresh.query('rollback');
      await fresh.end();
    }
  });

  it('keeps one generic plan for the claim instead of planning it at every call', async () => {
    const key = claimKey('default', 'mine', 'work', '1.0.0');
    const fresh = new pg.Client({ connectionString: database().url });
    await fresh.connect();
    try {
      // A named statement, as the store's driver prepares it: PostgreSQL plans the first five
      // executions for their values, then keeps the generic plan unless it looks costlier.
      for (let i = 0; i < 10; i++) {
        await fresh.query({
          name: 'claim',
          text: claimSteps.text,
          values: [NOW + i, 10, 'w', 60_000, [key, ''], null, 60_000],
        });
      }
      const plans = await fresh.query<{ generic: number; custom: number }>(
        `select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
         where name = 'claim'`,
      );
      // Before migration 4 the walks were estimated at 1,000 rows each: the generic plan hashed
      // whole tables, and every execution was planned again (10 custom plans).
      expect(plans.rows).toEqual([{ generic: 5, custom: 5 }]);
    } finally {
      await fresh.end();
    }
  });

  it('claims a step its walk found though the task was created after the claim statement began', async () => {
    const db = await createTestDatabase(database().url);
    const own = await createPostgresStore({ connectionString: db.url, poolSize: 3 });
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      await own.migrate();
      // The walk waits half a second first, so that a task committed meanwhile is one that the
      // statement's own snapshot (taken when it began) does not show, and the walk does.
      await sql.query(`alter function tasker.claim_walk(text, bigint, int) rename to claim_walk_inner;
        create function tasker.claim_walk(k text, now_ms bigint, n int)
          returns table (id uuid, from_state text, ready_at bigint, priority int, lane int, ckey text,
            climit int, rkey text, rlimit int, rperiod int, rburst int)
          language plpgsql volatile as $fn$
        begin
          perform pg_sleep(0.5);
          return query select * from tasker.claim_walk_inner(k, now_ms, n);
        end $fn$;`);
      const key = claimKey('default', 'late', 'work', '1.0.0');
      const claiming = own.claim('w', NOW, 10, 60_000, [key]);
      await new Promise((r) => setTimeout(r, 150));
      const { taskId } = await own.createTask(task('late', [{ name: 'first' }]), NOW - 1);
      const claimed = await claiming;
      expect(claimed.map((c) => `${c.task.id}:${c.name}`)).toEqual([`${taskId}:first`]);
    } finally {
      await sql.end();
      await own.close();
      await db.drop();
    }
  });

  it('migrates a database filled under migration 1: claim keys for unfinished steps, errored tasks out of the indexes, and the engine runs on', async () => {
    const db = await createTestDatabase(database().url);
    const old = new pg.Client({ connectionString: db.url });
    await old.connect();
    try {
      // Migration 1 as the 0.1 engine applied it, then rows as it wrote them.
      await old.query(`create schema tasker;
        create table tasker.migrations (id integer primary key, name text not null,
          applied_at timestamptz not null default now());`);
      await old.query(migration0001.sql);
      await old.query(`insert into tasker.migrations (id, name) values (1, 'initial')`);
      const running = randomUUID();
      const failed = randomUUID();
      const now = Date.now();
      for (const [id, state] of [
        [running, 'in_progress'],
        [failed, 'error'],
      ] as const) {
        await old.query(
          `insert into tasker.tasks (id, namespace, name, version, state, context, unfinished_steps, created_at, updated_at)
           values ($1, 'legacy', 'work', '1.0.0', $2, '{}', 1, $3, $3)`,
          [id, state, now - 1_000],
        );
        await old.query(
          `insert into tasker.steps (id, task_id, name, handler, position, state, retryable, retry_limit, skippable,
             inputs, pending_parents, ready_at, created_at)
           values ($1, $2, 'only', 'only', 0, 'pending', true, 3, false, '{}', 0, $3, $3)`,
          [randomUUID(), id, now - 1_000],
        );
      }
      const migrated = await createPostgresStore({ connectionString: db.url, poolSize: 2 });
      expect(await migrated.migrate()).toEqual(expect.arrayContaining([2]));
      const steps = await old.query(
        `select t.state as task_state, s.claim_key, s.queue, s.ready_at from tasker.steps s
         join tasker.tasks t on t.id = s.task_id order by t.state`,
      );
      expect(steps.rows).toEqual([
        { task_state: 'error', claim_key: 'default legacy/work@1.0.0', queue: 'default', ready_at: null },
        {
          task_state: 'in_progress',
          claim_key: 'default legacy/work@1.0.0',
          queue: 'default',
          ready_at: String(now - 1_000),
        },
      ]);
      const engine = createTasker({
        store: migrated,
        tasks: [
          defineTask({
            namespace: 'legacy',
            name: 'work',
            version: '1.0.0',
            steps: [{ name: 'only', handler: async () => 'ran' }],
          }),
        ],
      });
      await engine.start();
      try {
        expect((await engine.waitFor(running, { timeoutMs: 20_000 })).state).toBe('complete');
        expect((await engine.getTask(failed))?.state).toBe('error');
      } finally {
        await engine.stop();
        await migrated.close();
      }
    } finally {
      await old.end();
      await db.drop();
    }
  });
});
