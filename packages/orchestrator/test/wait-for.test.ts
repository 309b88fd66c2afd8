/**
 * `waitFor` wakes on a notification for its own task and reads one row per wake-up (issue #11,
 * item 6), on PGlite and PostgreSQL. The waiting engine runs no worker and polls once an hour,
 * so a wait that ends did so on a notification; its statements are recorded through a driver
 * wrapper, and those that name the awaited task are what it read. Steps run only when the test
 * opens their gate, so the test decides what commits while the engine waits.
 */
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPgliteDriver,
  createPostgresDriver,
  createTasker,
  defineTask,
  type SqlDriver,
  type Tasker,
  TaskStore,
} from '../src/index';
import { describeWithPostgres } from './support/postgres';
import { type RecordedQuery, recordingDriver } from './support/recording-driver';
import { until } from './support/until';

const HOUR = 3_600_000;

/** Drivers on one database: a store each, as separate processes would have. */
interface Connections {
  /** A driver; the store made on it closes it. */
  open(): Promise<SqlDriver>;
  /** Closes what the drivers share, once they are closed. */
  close(): Promise<void>;
}

function waitForSuite(name: string, connect: () => Promise<Connections>): void {
  describe(`waitFor on ${name}`, () => {
    let cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.reverse()) await c();
      cleanup = [];
    });

    async function setup(namespace: string) {
      const connections = await connect();
      cleanup.push(() => connections.close());
      /** Opens a step's handler: `<task key>/<step>` → resolve. */
      const gates = new Map<string, () => void>();
      const definition = defineTask({
        namespace,
        name: 'gated',
        version: '1.0.0',
        steps: [
          { name: 'first', handler: 'gated' },
          { name: 'last', handler: 'gated', dependsOn: ['first'] },
        ],
      });
      const handlers = {
        gated: (ctx: { context: unknown; stepName: string }) =>
          new Promise<string>((resolve) =>
            gates.set(`${(ctx.context as { key: string }).key}/${ctx.stepName}`, () => resolve('ok')),
          ),
      };
      const engine = async (driver: SqlDriver, pollIntervalMs: number): Promise<Tasker> => {
        const store = new TaskStore(driver);
        await store.migrate();
        const tasker = createTasker({
          store,
          tasks: [definition],
          handlers,
          config: { engine: { pollIntervalMs } },
          onError: () => {},
        });
        cleanup.push(async () => {
          await tasker.stop();
          await store.close();
        });
        return tasker;
      };
      const open = async (key: string) => {
        await until(`the gate of ${key}`, async () => gates.has(key), Boolean);
        gates.get(key)?.();
        gates.delete(key);
      };
      const submit = async (tasker: Tasker, key: string) =>
        (await tasker.submit({ namespace, name: 'gated', version: '1.0.0', context: { key } })).taskId;
      return { connections, engine, open, submit };
    }

    /** The reads of `taskId`, in order: its state (one row), or the task with its steps. */
    const readsOf = (queries: readonly RecordedQuery[], taskId: string) =>
      queries
        .filter((q) => q.params[0] === taskId && /^select\b/.test(q.text))
        .map((q) => ({ kind: /json_agg/.test(q.text) ? 'details' : 'state', rows: q.rows }));

    it('wakes on a notification for its task from another store, and reads one row per wake-up', async () => {
      const { connections, engine, open, submit } = await setup('wait_remote');
      const runner = await engine(await connections.open(), HOUR);
      const recorded = recordingDriver(await connections.open());
      const waiter = await engine(recorded, HOUR);
      await runner.start();
      const a = await submit(runner, 'a');
      const b = await submit(runner, 'b');

      const waiting = waiter.waitFor(a);
      await until(
        'the first read',
        async () => readsOf(recorded.queries, a).length,
        (n) => n === 1,
      );
      // Another task finishes, and this one moves on without finishing: neither wakes the waiter.
      await open('b/first');
      await open('b/last');
      await open('a/first');
      expect((await runner.waitFor(b)).state).toBe('complete');
      await until(
        'the first step of a to complete',
        async () => (await runner.getTask(a))?.steps[0]?.state,
        (s) => s === 'complete',
      );
      await open('a/last');

      expect((await waiting).state).toBe('complete');
      expect(readsOf(recorded.queries, a)).toEqual([
        { kind: 'state', rows: 1 },
        { kind: 'state', rows: 1 },
        { kind: 'details', rows: 1 },
      ]);
    });

    it('wakes in-process when its own store finishes the task', async () => {
      const { connections, engine, open, submit } = await setup('wait_local');
      const recorded = recordingDriver(await connections.open());
      const tasker = await engine(recorded, HOUR);
      await tasker.start();
      const a = await submit(tasker, 'a');
      const waiting = tasker.waitFor(a);
      await until(
        'the first read',
        async () => readsOf(recorded.queries, a).length,
        (n) => n === 1,
      );
      await open('a/first');
      await open('a/last');
      expect((await waiting).state).toBe('complete');
      expect(readsOf(recorded.queries, a)).toEqual([
        { kind: 'state', rows: 1 },
        { kind: 'state', rows: 1 },
        { kind: 'details', rows: 1 },
      ]);
    });

    it('still ends when the notification never comes: it polls', async () => {
      const { connections, engine, submit } = await setup('wait_poll');
      const writer = await connections.open();
      cleanup.push(() => writer.close());

      const recorded = recordingDriver(await connections.open());
      const waiter = await engine(recorded, 50);
      const a = await submit(waiter, 'a');
      const waiting = waiter.waitFor(a);
      await until(
        'the first read',
        async () => readsOf(recorded.queries, a).length,
        (n) => n >= 1,
      );
      // Finished behind the engine's back: no store announced it.
      await writer.query(`update tasker.tasks set state = 'cancelled' where id = $1`, [a]);
      expect((await waiting).state).toBe('cancelled');
      const reads = readsOf(recorded.queries, a);
      expect(reads.length).toBeGreaterThanOrEqual(3);
      expect(reads.slice(0, -1).every((r) => r.kind === 'state' && r.rows === 1)).toBe(true);
      expect(reads.at(-1)?.kind).toBe('details');
    });
  });
}

waitForSuite('PGlite', async () => {
  const db = await PGlite.create();
  return { open: () => createPgliteDriver({ db }), close: () => db.close() };
});

describeWithPostgres('waitFor (PostgreSQL)', (database) => {
  waitForSuite('PostgreSQL', async () => ({
    open: () => createPostgresDriver({ connectionString: database().url, poolSize: 3 }),
    close: async () => {},
  }));
});
