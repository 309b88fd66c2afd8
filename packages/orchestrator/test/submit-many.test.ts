/**
 * `tasker.submitMany` (issue #14) on PGlite and on PostgreSQL, on a manual clock: every request
 * validated before anything is written, identity keys within the call and against existing
 * tasks, batches of one statement each, flow control stored as a single submit stores it, the
 * lifecycle events of N submits, one wake-up per batch, and what a batch failing midway leaves.
 */
import { PGlite } from '@electric-sql/pglite';
import { createEventRouter, type RoutedEvent } from '@tasker/router';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createManualClock,
  createPgliteDriver,
  createPostgresDriver,
  createTasker,
  defineTask,
  isBatchItemError,
  isSubmitManyError,
  type SqlDriver,
  type SubmitRequest,
  type Tasker,
  TaskStore,
} from '../src/index';
import { type AuditQuery, expectedEvents, publishedEvents, readAudit } from './support/expected-events';
import { describeWithPostgres } from './support/postgres';

/** A store on `driver`, and SQL on its database apart from it. */
interface Subject {
  readonly driver: SqlDriver;
  readonly query: AuditQuery;
  close(): Promise<void>;
}

const order = defineTask({
  namespace: 'batch',
  name: 'order',
  version: '1.0.0',
  priority: 2,
  contextSchema: z.object({ orderId: z.string(), customer: z.string(), amount: z.number().optional() }),
  steps: [
    {
      name: 'reserve',
      handler: 'reserve',
      concurrency: { key: 'context.customer', limit: 3 },
      rateLimit: { key: 'inventory', limit: 50, burst: 5 },
    },
    { name: 'notify', handler: 'notify', dependsOn: ['reserve'], skippable: true, priority: 9 },
  ],
});
const noop = async () => null;

function submitManyCases(makeSubject: () => Promise<Subject>) {
  let subject: Subject;
  let store: TaskStore;
  let failNext: ((text: string) => boolean) | undefined;
  const clock = createManualClock(1_900_000_000_000);
  const events: RoutedEvent[] = [];
  const router = createEventRouter({
    mappings: [{ eventName: '**', backends: ['rec'] }],
    backends: { rec: { name: 'rec', handle: (e) => void events.push(e) } },
  });
  const engines: Tasker[] = [];
  const engine = (config: Record<string, unknown> = {}) => {
    const t = createTasker({
      store,
      tasks: [order],
      handlers: { reserve: noop, notify: noop },
      clock,
      router,
      config: { engine: config },
    });
    engines.push(t);
    return t;
  };
  let seq = 0;
  const request = (extra: Partial<SubmitRequest> = {}): SubmitRequest => ({
    namespace: 'batch',
    name: 'order',
    version: '1.0.0',
    context: { orderId: `o-${++seq}`, customer: `c-${seq % 3}` },
    ...extra,
  });
  const statements: string[] = [];

  beforeAll(async () => {
    subject = await makeSubject();
    // A driver that can be told to fail one statement: a batch failing midway.
    const inner = subject.driver;
    const failing: SqlDriver = {
      ...inner,
      query: (text, params, id) => {
        if (failNext?.(text) === true) {
          failNext = undefined;
          return Promise.reject(new Error('the database refused this batch (test)'));
        }
        return inner.query(text, params, id);
      },
    };
    store = new TaskStore(failing, { onQuery: (q) => statements.push(q.name) });
    await store.migrate();
  }, 60_000);
  afterEach(() => {
    events.length = 0;
    statements.length = 0;
    failNext = undefined;
  });
  afterAll(async () => {
    for (const t of engines) await t.stop();
    await store?.close();
    await subject?.close();
  });

  const countIn = async (ids: readonly string[]) =>
    Number(
      (await subject.query('select count(*)::int as n from tasker.tasks where id = any($1::uuid[])', [ids]))
        .rows[0]?.n,
    );

  it('creates N tasks in one statement, in request order, with the events of N submits', async () => {
    const tasker = engine();
    const requests = Array.from({ length: 6 }, () => request());
    await tasker.store(); // opened (and the engine registered) before the statements are counted
    statements.length = 0;
    let woken = 0;
    const stop = store.watchReady(() => woken++);
    const results = await tasker.submitMany(requests);
    stop();
    expect(statements.filter((s) => s !== 'notify')).toEqual(['create_tasks']);
    expect(woken).toBe(1);
    expect(results.map((r) => r.created)).toEqual([true, true, true, true, true, true]);
    for (const [i, r] of results.entries()) {
      const task = await tasker.getTask(r.taskId);
      expect(task?.context).toEqual(requests[i]?.context);
      expect(task?.steps.map((s) => [s.name, s.state, s.dependsOn])).toEqual([
        ['reserve', 'pending', []],
        ['notify', 'pending', ['reserve']],
      ]);
    }
    // Every lifecycle event the audit implies, each once; and the same events as six submits.
    const audit = await readAudit(
      subject.query,
      results.map((r) => r.taskId),
    );
    expect(publishedEvents(events)).toEqual(expectedEvents(audit, { handled: false }));
    const withoutIds = (keys: string[]) =>
      keys.map((k) => k.replace(/task=[0-9a-f-]+/, 'task=?').replace(/\([0-9a-f-]+\)/, '(?)')).sort();
    const batched = withoutIds(publishedEvents(events));
    events.length = 0;
    for (const r of Array.from({ length: 6 }, () => request())) await tasker.submit(r);
    expect(batched).toEqual(withoutIds(publishedEvents(events)));
    expect(batched.length).toBe(6 * 11);
  });

  it('refuses a bad request naming its index and field, and writes nothing of the call', async () => {
    const tasker = engine();
    const before = await subject.query('select count(*)::int as n from tasker.tasks', []);
    const cases: [Partial<SubmitRequest>, string, string][] = [
      [{ context: { orderId: 'x', customer: 7 } }, 'CONTEXT_INVALID', 'customer'],
      [{ runAt: 'tomorrow' }, 'SUBMIT_INVALID', 'runAt:'],
      [{ runAt: 1, delay: 5 }, 'SUBMIT_INVALID', 'runAt, delay:'],
      [{ priority: 1.5 }, 'SUBMIT_INVALID', 'priority:'],
      [{ bypassSteps: ['reserve'] }, 'SUBMIT_INVALID', 'bypassSteps:'],
      [{ version: '9.9.9' }, 'DEFINITION_NOT_FOUND', 'No task batch.order'],
      [{ reason: 'a\u0000b' }, 'INPUT_INVALID', 'reason:'],
    ];
    for (const [bad, code, field] of cases) {
      const requests = [request({ identityKey: `kept-${seq}` }), request(), request(), request()];
      requests[2] = { ...(requests[2] as SubmitRequest), ...bad };
      // One request a batch: the requests before the bad one would be written, were they not all
      // validated first.
      const error = await tasker.submitMany(requests, { batchSize: 1 }).catch((e: unknown) => e);
      expect(isBatchItemError(error), String(error)).toBe(true);
      expect(error).toMatchObject({ code, index: 2 });
      expect((error as Error).message.startsWith('requests[2]: ')).toBe(true);
      expect((error as Error).message).toContain(field);
    }
    expect(await subject.query('select count(*)::int as n from tasker.tasks', [])).toEqual(before);
    expect(statements.filter((s) => s !== 'notify')).toEqual([]);
    expect(events).toEqual([]);
  });

  it('answers a taken identity key with its task, within the call and against existing tasks', async () => {
    const tasker = engine();
    const existing = await tasker.submit(request({ identityKey: 'batch-existing' }));
    const results = await tasker.submitMany(
      [
        request({ identityKey: 'batch-existing' }),
        request({ identityKey: 'batch-new' }),
        request({ identityKey: 'batch-new' }),
        request(),
      ],
      { batchSize: 2 },
    );
    expect(results.map((r) => r.created)).toEqual([false, true, false, true]);
    expect(results[0]?.taskId).toBe(existing.taskId);
    // Across the batches' boundary (requests 1 and 2 are in different statements): one task.
    expect(results[2]?.taskId).toBe(results[1]?.taskId);
    expect(statements.filter((s) => s === 'create_tasks')).toHaveLength(2);
    // The hash strategy: identical requests within its window are one task.
    const hashing = engine({ identityStrategy: 'hash' });
    const same = request();
    const hashed = await hashing.submitMany([same, { ...same }, request()]);
    expect(hashed.map((r) => r.created)).toEqual([true, false, true]);
    expect(hashed[1]?.taskId).toBe(hashed[0]?.taskId);
    expect((await hashing.submit({ ...same })).taskId).toBe(hashed[0]?.taskId);
  });

  it('stores flow control (runAt, delay, priorities, concurrency and rate keys) as a single submit', async () => {
    const tasker = engine();
    const at = clock.now() + 60_000;
    const variants: Partial<SubmitRequest>[] = [
      { runAt: at },
      { runAt: new Date(at).toISOString() },
      { delay: 5_000 },
      { priority: -7 },
      {},
    ];
    const pairs: [string, string][] = [];
    for (const v of variants) {
      const context = { orderId: `flow-${++seq}`, customer: `vip-${seq}` };
      const single = await tasker.submit(request({ ...v, context }));
      const [batched] = await tasker.submitMany([request({ ...v, context })]);
      pairs.push([single.taskId, batched?.taskId as string]);
    }
    const rows = async (id: string) => {
      const task = await subject.query(
        'select state, run_at, priority, unfinished_steps, created_at from tasker.tasks where id = $1',
        [id],
      );
      const steps = await subject.query(
        `select name, state, priority, ready_at, pending_parents, concurrency_key, concurrency_limit, rate_key,
           rate_limit, rate_period_ms, rate_burst, queue, claim_key, inputs
         from tasker.steps where task_id = $1 order by position`,
        [id],
      );
      return { task: task.rows, steps: steps.rows };
    };
    for (const [single, batched] of pairs) expect(await rows(batched)).toEqual(await rows(single));
    // What was compared is what was asked for: the delayed start, the priorities, the keys.
    const first = await rows(pairs[0]?.[1] as string);
    expect(Number(first.task[0]?.run_at)).toBe(at);
    expect(Number(first.steps[0]?.ready_at)).toBe(at);
    expect(first.steps[0]).toMatchObject({ priority: 2, rate_key: 'inventory', rate_burst: 5 });
    expect(String(first.steps[0]?.concurrency_key)).toMatch(/^context\.customer=/);
    expect(first.steps[1]).toMatchObject({ priority: 9, concurrency_key: null });
    expect(Number((await rows(pairs[2]?.[1] as string)).task[0]?.run_at)).toBe(clock.now() + 5_000);
    expect((await rows(pairs[3]?.[1] as string)).task[0]?.priority).toBe(-7);
  });

  it('commits batch after batch: a failure midway keeps the batches before it, and says so', async () => {
    const tasker = engine();
    const requests = Array.from({ length: 7 }, () => request());
    let calls = 0;
    failNext = (text) => text.startsWith('with input as (') && ++calls === 2;
    const error = await tasker.submitMany(requests, { batchSize: 3 }).catch((e: unknown) => e);
    expect(isSubmitManyError(error), String(error)).toBe(true);
    const failed = error as {
      submitted: { taskId: string; created: boolean }[];
      failedAt: number;
      cause: Error;
    };
    expect(failed.failedAt).toBe(3);
    expect(failed.submitted.map((r) => r.created)).toEqual([true, true, true]);
    expect(failed.cause.message).toBe('the database refused this batch (test)');
    expect(await countIn(failed.submitted.map((r) => r.taskId))).toBe(3);
    // The first batch's events were published (its commit stands); nothing of the rest exists.
    const audit = await readAudit(
      subject.query,
      failed.submitted.map((r) => r.taskId),
    );
    expect(publishedEvents(events)).toEqual(expectedEvents(audit, { handled: false }));
    const contexts = await subject.query(
      "select count(*)::int as n from tasker.tasks where context->>'orderId' = any($1::text[])",
      [requests.slice(3).map((r) => (r.context as { orderId: string }).orderId)],
    );
    expect(contexts.rows[0]?.n).toBe(0);
    // A failure of the first batch is the database's error as it is: nothing was written.
    failNext = (text) => text.startsWith('with input as (');
    await expect(tasker.submitMany([request()])).rejects.toThrow('the database refused this batch (test)');
  });

  it('refuses what is not a list of requests, and a batch size out of range', async () => {
    const tasker = engine();
    await expect(tasker.submitMany({} as unknown as SubmitRequest[])).rejects.toMatchObject({
      code: 'SUBMIT_INVALID',
    });
    await expect(tasker.submitMany([request()], { batchSize: 0 })).rejects.toMatchObject({
      code: 'SUBMIT_INVALID',
      message: expect.stringContaining('batchSize'),
    });
    await expect(tasker.submitMany([request(), null as unknown as SubmitRequest])).rejects.toMatchObject({
      code: 'SUBMIT_INVALID',
      index: 1,
    });
    expect(await tasker.submitMany([])).toEqual([]);
    expect(statements.filter((s) => s !== 'notify')).toEqual([]);
  });
}

describe('submitMany (PGlite)', () => {
  submitManyCases(async () => {
    const db = await PGlite.create();
    return {
      driver: await createPgliteDriver({ db }),
      query: (text, params) => db.query(text, params),
      close: () => db.close(),
    };
  });
});

describeWithPostgres('submitMany (PostgreSQL)', (database) => {
  submitManyCases(async () => {
    const audit = new pg.Client({ connectionString: database().url });
    await audit.connect();
    return {
      driver: await createPostgresDriver({ connectionString: database().url, poolSize: 4 }),
      query: (text, params) => audit.query(text, params),
      close: () => audit.end(),
    };
  });
});
