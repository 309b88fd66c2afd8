/**
 * Store factories: PGlite (the zero-setup default, in memory or in a data directory) and
 * PostgreSQL through `pg`. Both return the same `TaskStore`, migrated and ready.
 */
import { TaskerError } from '../errors';
import { showValue } from '../validation-message';
import { createPgliteDriver, type PgliteDriverOptions } from './pglite-driver';
import { createPostgresDriver, type PostgresDriverOptions } from './postgres-driver';
import { TaskStore, type TaskStoreOptions } from './task-store';

/** Options of {@link createPgliteStore}. */
export interface PgliteStoreOptions extends PgliteDriverOptions, TaskStoreOptions {}

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions extends PostgresDriverOptions, TaskStoreOptions {}

/**
 * An embedded store on PGlite: in memory by default, or persisted in `dataDir`.
 *
 * @example
 * ```ts
 * const store = await createPgliteStore({ dataDir: './.tasker' });
 * ```
 */
export async function createPgliteStore(options: PgliteStoreOptions = {}): Promise<TaskStore> {
  const store = new TaskStore(await createPgliteDriver(options), options);
  await store.migrate();
  return store;
}

/**
 * A store on a PostgreSQL server (needs the `pg` package). Many processes on many machines
 * may share one database: that is how workers scale out.
 *
 * Whoever makes the store closes it: `tasker.stop()` leaves a store passed as `store:` open, so
 * call `store.close()` after it (or the pool and the LISTEN connection keep the process alive).
 *
 * @throws TaskerError `CONFIG_INVALID` when neither `connectionString` nor `pool` is given.
 * @example
 * ```ts
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<TaskStore> {
  // `options?.`: JavaScript callers may pass nothing at all.
  if (!options?.connectionString && options?.pool === undefined) {
    throw new TaskerError(
      'CONFIG_INVALID',
      `createPostgresStore: connectionString (or pool) is required, e.g. createPostgresStore({ connectionString: 'postgres://user@host:5432/db' }); received connectionString ${showValue(options?.connectionString)}`,
    );
  }
  const store = new TaskStore(await createPostgresDriver(options), options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  return store;
}
