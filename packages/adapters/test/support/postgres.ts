/**
 * (The same helper as `packages/orchestrator/test/support/postgres.ts`.)
 * PostgreSQL for tests. The server comes from `TASKER_TEST_DATABASE_URL`. Without it, a
 * PostgreSQL suite is skipped with a console line saying why — except under `TASKER_CI=1`,
 * where a missing URL is a failing test. Each test file gets its own database
 * (`tasker_test_<random>`), created before its tests and dropped after.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';

/** A database made for one test file. */
export interface TestDatabase {
  readonly url: string;
  readonly name: string;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates a fresh database on the server of `url`. */
export async function createTestDatabase(url: string): Promise<TestDatabase & { drop(): Promise<void> }> {
  const name = `tasker_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(url, name),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * `describe` for a suite that needs PostgreSQL. `body` receives a getter for this file's
 * database (valid inside tests and hooks).
 */
export function describeWithPostgres(title: string, body: (database: () => TestDatabase) => void): void {
  const url = process.env.TASKER_TEST_DATABASE_URL;
  if (url === undefined || url === '') {
    if (process.env.TASKER_CI === '1') {
      describe(title, () => {
        it('has a PostgreSQL server to run against', () => {
          throw new Error(
            'TASKER_TEST_DATABASE_URL is not set, and TASKER_CI=1 requires the PostgreSQL tests to run',
          );
        });
      });
      return;
    }
    console.log(
      `[skipped] ${title}: TASKER_TEST_DATABASE_URL is not set, so the PostgreSQL tests do not run`,
    );
    describe.skipIf(true)(title, () => {
      it('needs TASKER_TEST_DATABASE_URL', () => {});
    });
    return;
  }
  describe(title, () => {
    let db: (TestDatabase & { drop(): Promise<void> }) | undefined;
    beforeAll(async () => {
      db = await createTestDatabase(url);
    });
    afterAll(async () => {
      await db?.drop();
    });
    body(() => {
      if (db === undefined) throw new Error('the test database is not created yet');
      return db;
    });
  });
}
