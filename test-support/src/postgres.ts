/**
 * PostgreSQL for tests. The run's server (see `resources.ts`) is the machine's, from
 * `TASKER_TEST_DATABASE_URL`, or else an embedded one started once per run. Each test file gets
 * its own database (`tasker_test_<random>`), created before its tests and dropped after.
 *
 * A test that stops, restarts or reconfigures PostgreSQL uses {@link describeWithPrivatePostgres}:
 * a server of its own, never the shared one.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, inject, it } from 'vitest';
import {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from './embedded-postgres-server';
import { inCi, type PostgresResource, type TaskerTestMeta } from './resources';

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
 * The run's PostgreSQL as the global setup decided it; outside a vitest run with that setup,
 * `TASKER_TEST_DATABASE_URL` alone.
 */
export function testPostgres(): PostgresResource {
  let provided: PostgresResource | undefined;
  try {
    provided = inject('taskerPostgres');
  } catch {
    provided = undefined;
  }
  if (provided !== undefined) return provided;
  const url = process.env.TASKER_TEST_DATABASE_URL;
  if (url !== undefined && url !== '') return { kind: 'external', url, label: 'TASKER_TEST_DATABASE_URL' };
  return { kind: 'none', reason: 'TASKER_TEST_DATABASE_URL is not set and no global setup started a server' };
}

/**
 * A suite that cannot run here: skipped with a console line on a developer's machine, one failing
 * test under `TASKER_CI=1`, where everything must run.
 */
export function describeUnavailable(title: string, what: string, reason: string): void {
  if (inCi()) {
    describe(title, () => {
      it(`has ${what} to run against`, () => {
        throw new Error(`${reason}; TASKER_CI=1 requires these tests to run`);
      });
    });
    return;
  }
  console.warn(`[skipped] ${title}: ${reason}`);
  describe.skip(title, () => {
    it(`needs ${what}`, () => {});
  });
}

/**
 * `describe` for a suite that needs PostgreSQL. `body` receives a getter for this file's
 * database (valid inside tests and hooks).
 */
export function describeWithPostgres(title: string, body: (database: () => TestDatabase) => void): void {
  const server = testPostgres();
  if (server.kind === 'none') {
    describeUnavailable(title, 'a PostgreSQL server', server.reason);
    return;
  }
  describe(title, () => {
    let db: (TestDatabase & { drop(): Promise<void> }) | undefined;
    beforeAll(async () => {
      db = await createTestDatabase(server.url);
    });
    afterAll(async () => {
      await db?.drop();
    });
    beforeEach(({ task }) => {
      (task.meta as TaskerTestMeta).taskerPostgres = server.label;
    });
    body(() => {
      if (db === undefined) throw new Error('the test database is not created yet');
      return db;
    });
  });
}

/**
 * `describe` for a suite that stops, restarts or reconfigures PostgreSQL: it gets a server of
 * its own (embedded, from npm), started before its tests and removed after. The shared server
 * is never touched.
 */
export function describeWithPrivatePostgres(
  title: string,
  body: (server: () => EmbeddedPostgresServer) => void,
  options: EmbeddedPostgresOptions = {},
): void {
  describe(title, () => {
    let server: EmbeddedPostgresServer | undefined;
    beforeAll(async () => {
      try {
        server = await startEmbeddedPostgres(options);
      } catch (error) {
        throw new Error(`a private PostgreSQL for "${title}" did not start: ${(error as Error).message}`, {
          cause: error,
        });
      }
    });
    afterAll(async () => {
      await server?.close();
    });
    beforeEach(({ task }) => {
      if (server !== undefined)
        (task.meta as TaskerTestMeta).taskerPostgres = `a private ${server.version} (embedded-postgres)`;
    });
    body(() => {
      if (server === undefined) throw new Error('the private PostgreSQL is not started yet');
      return server;
    });
  });
}

export type { EmbeddedPostgresOptions, EmbeddedPostgresServer } from './embedded-postgres-server';
export { startEmbeddedPostgres } from './embedded-postgres-server';
