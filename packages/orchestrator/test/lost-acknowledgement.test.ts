/**
 * A commit whose acknowledgement is lost (the connection drops after the server committed):
 * the store retries the statement, and the retry must not write the change a second time.
 * The driver below runs each statement for real, then reports a dropped connection once for
 * the statement under test.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  createPgliteDriver,
  createPostgresDriver,
  type NewTask,
  type SqlDriver,
  TaskStore,
} from '../src/index';
import { describeWithPostgres } from './support/postgres';

/** `driver`, except that the first run of the statement named `statement` loses its reply. */
function losingOneReply(driver: SqlDriver, statement: string): SqlDriver & { lost: () => number } {
  let lost = 0;
  return {
    dialect: driver.dialect,
    exec: (text) => driver.exec(text),
    transaction: (body) => driver.transaction(body),
    listen: (channel, onMessage, onReconnect) => driver.listen(channel, onMessage, onReconnect),
    close: () => driver.close(),
    async query(text, params, statementId) {
      const result = await driver.query(text, params, statementId);
      if (lost === 0 && statementId?.startsWith(`tasker_${statement}_`)) {
        lost++;
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      }
      return result;
    },
    lost: () => lost,
  } as SqlDriver & { lost: () => number };
}

const chain: NewTask = {
  namespace: 'ack',
  name: 'chain',
  version: '1.0.0',
  context: { n: 1 },
  tags: [],
  annotations: {},
  bypassSteps: [],
  steps: [
    {
      name: 'a',
      handler: 'a',
      retryable: true,
      retryLimit: 1,
      timeoutMs: undefined,
      skippable: false,
      dependsOn: [],
    },
    {
      name: 'b',
      handler: 'b',
      retryable: true,
      retryLimit: 1,
      timeoutMs: undefined,
      skippable: false,
      dependsOn: ['a'],
    },
  ],
};

function lostAcknowledgementSuite(name: string, makeDriver: () => Promise<SqlDriver>): void {
  describe(`a lost commit acknowledgement (${name})`, () => {
    it('creates the task once and reports it created, with its creation transitions once', async () => {
      const driver = losingOneReply(await makeDriver(), 'create_task');
      const store = new TaskStore(driver, { transientRetry: { baseDelayMs: 1 } });
      try {
        await store.migrate();
        const { taskId, created, change } = await store.createTask(chain, 1_000);
        expect(driver.lost()).toBe(1);
        expect(created).toBe(true);
        expect(change.ready[0]?.stepNames).toEqual(['a']);
        const tasks = await store.listTasks({ namespace: 'ack' });
        expect(tasks.tasks.map((t) => t.id)).toEqual([taskId]);
        const details = await store.getTask(taskId);
        expect(details?.transitions.map((t) => `${t.stepName ?? 'task'}:${t.from}→${t.to}`)).toEqual([
          'task:null→pending',
          'task:pending→in_progress',
          'a:null→pending',
          'b:null→pending',
        ]);
      } finally {
        await store.close();
      }
    }, 60_000);

    it('creates a batch once and reports each task created, with its creation transitions once', async () => {
      const driver = losingOneReply(await makeDriver(), 'create_tasks');
      const store = new TaskStore(driver, { transientRetry: { baseDelayMs: 1 } });
      try {
        await store.migrate();
        const inputs: NewTask[] = [1, 2, 3].map((n) => ({
          ...chain,
          namespace: 'ack-batch',
          context: { n },
        }));
        inputs[1] = { ...(inputs[1] as NewTask), identityKey: 'ack-batch-key' };
        inputs[2] = {
          ...(inputs[2] as NewTask),
          identityWindow: { key: 'ack-batch-window', windowMs: 60_000 },
        };
        const { tasks, change } = await store.createTasks(inputs, 5_000);
        expect(driver.lost()).toBe(1);
        expect(tasks.map((t) => t.created)).toEqual([true, true, true]);
        expect(change.ready.map((r) => r.stepNames)).toEqual([['a'], ['a'], ['a']]);
        const listed = await store.listTasks({ namespace: 'ack-batch' });
        expect(listed.tasks.map((t) => t.id).sort()).toEqual(tasks.map((t) => t.taskId).sort());
        for (const t of tasks) {
          const details = await store.getTask(t.taskId);
          expect(details?.transitions.map((x) => `${x.stepName ?? 'task'}:${x.from}→${x.to}`)).toEqual([
            'task:null→pending',
            'task:pending→in_progress',
            'a:null→pending',
            'b:null→pending',
          ]);
        }
      } finally {
        await store.close();
      }
    }, 60_000);

    it('completes a step once: the retried write is fenced and adds nothing', async () => {
      const driver = losingOneReply(await makeDriver(), 'settle_steps');
      const store = new TaskStore(driver, { transientRetry: { baseDelayMs: 1 } });
      try {
        await store.migrate();
        const { taskId } = await store.createTask({ ...chain, name: 'settle' }, 2_000);
        // (The database may hold the first test's task too: take this task's step.)
        const a = (await store.claim('w', 2_000, 10, 10_000)).find((c) => c.task.id === taskId);
        const r = await store.settle(
          [{ kind: 'complete', stepId: a!.id, token: a!.token, result: 1 }],
          2_001,
        );
        expect(driver.lost()).toBe(1);
        // The first write committed; the retry found the step settled and changed nothing, so
        // the events of that commit are not published (never twice).
        expect(r.fenced).toEqual([a!.id]);
        const details = await store.getTask(taskId);
        expect(details?.steps.map((s) => s.state)).toEqual(['complete', 'pending']);
        expect(details?.transitions.filter((t) => t.to === 'complete').length).toBe(1);
        const b = (await store.claim('w', 2_002, 10, 10_000)).find((c) => c.task.id === taskId);
        expect(b?.name).toBe('b');
        expect(b?.parentResults).toEqual({ a: 1 });
      } finally {
        await store.close();
      }
    }, 60_000);
  });
}

lostAcknowledgementSuite('PGlite', () => createPgliteDriver());

describeWithPostgres('PostgreSQL statements', (database) => {
  lostAcknowledgementSuite('PostgreSQL', () =>
    createPostgresDriver({ connectionString: database().url, poolSize: 1 }),
  );

  async function preparedNames(preparedStatements: boolean): Promise<string[]> {
    // One connection, so that the query below sees that connection's prepared statements.
    const driver = await createPostgresDriver({
      connectionString: database().url,
      poolSize: 1,
      preparedStatements,
    });
    const store = new TaskStore(driver);
    try {
      await store.migrate();
      await store.createTask({ ...chain, name: `prepared-${preparedStatements}` }, 3_000);
      await store.claim('w', 3_000, 10, 10_000);
      await store.claim('w', 3_000, 10, 10_000);
      const r = await driver.query<{ name: string }>('select name from pg_prepared_statements order by name');
      return r.rows.map((row) => row.name);
    } finally {
      await store.close();
    }
  }

  it('prepares each statement once per connection, under a name that identifies its text', async () => {
    const names = await preparedNames(true);
    expect(names.filter((n) => n.startsWith('tasker_claim_steps_'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('tasker_create_task_'))).toHaveLength(1);
  });

  it('prepares nothing when told not to (for poolers that cannot keep prepared statements)', async () => {
    expect(await preparedNames(false)).toEqual([]);
  });

  it('keeps a pool made by the caller open, and prepares on its connections too', async () => {
    const pool = new pg.Pool({ connectionString: database().url, max: 1 });
    try {
      const store = new TaskStore(await createPostgresDriver({ pool }));
      await store.migrate();
      await store.createTask({ ...chain, name: 'own-pool' }, 4_000);
      await store.close();
      const r = await pool.query(
        "select count(*)::int as n from pg_prepared_statements where name like 'tasker_%'",
      );
      expect(r.rows[0].n).toBeGreaterThan(0);
    } finally {
      await pool.end();
    }
  });
});
