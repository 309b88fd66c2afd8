/**
 * `migrate()` run a second time changes nothing: it applies no migration, and the schema, the
 * migrations table and the data are what the first run left (test/support/database-snapshot.ts).
 * Run on PGlite and on PostgreSQL, through the public `migrate(driver)` (a store's own
 * `migrate()` answers once per store, so it would not run twice).
 */
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import {
  createPgliteDriver,
  createPostgresDriver,
  MIGRATIONS,
  migrate,
  type SqlDriver,
  TaskStore,
} from '../src/index';
import { snapshotDatabase } from './support/database-snapshot';
import { describeWithPostgres } from './support/postgres';

async function migrateTwice(driver: SqlDriver): Promise<void> {
  expect(await migrate(driver)).toEqual(MIGRATIONS.map((m) => m.id));
  // Rows in every table, so that a second run that rewrote data would show.
  const store = new TaskStore(driver);
  const now = 1_000_000;
  const step = (name: string, dependsOn: string[]) => ({
    name,
    handler: name,
    retryable: true,
    retryLimit: 1,
    timeoutMs: undefined,
    skippable: false,
    dependsOn,
  });
  await store.createTask(
    {
      namespace: 'migrate',
      name: 'twice',
      version: '1.0.0',
      context: { n: 1 },
      tags: ['t'],
      annotations: { a: 1 },
      bypassSteps: [],
      steps: [step('a', []), step('b', ['a'])],
    },
    now,
  );
  const [a] = await store.claim('w', now, 10, 30_000);
  await store.settle([{ kind: 'complete', stepId: a!.id, token: a!.token, result: 'a' }], now + 1);

  const query = (text: string, params?: unknown[]) => driver.query(text, params);
  const before = await snapshotDatabase(query);
  expect(before.data?.find((t) => t.includes('"tasker.transitions"'))).toMatch(/"rows":6,/);
  expect(await migrate(driver)).toEqual([]);
  expect(await snapshotDatabase(query)).toEqual(before);
}

describe('migrate on PGlite', () => {
  it('changes nothing when run a second time', async () => {
    const db = await PGlite.create();
    const driver = await createPgliteDriver({ db });
    try {
      await migrateTwice(driver);
    } finally {
      await driver.close();
      await db.close();
    }
  }, 60_000);
});

describeWithPostgres('migrate on PostgreSQL', (database) => {
  it('changes nothing when run a second time', async () => {
    const driver = await createPostgresDriver({ connectionString: database().url, poolSize: 2 });
    try {
      await migrateTwice(driver);
    } finally {
      await driver.close();
    }
  }, 60_000);
});
