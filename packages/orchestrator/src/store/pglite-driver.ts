/**
 * The embedded driver: PGlite (PostgreSQL compiled to WASM), in memory or in a data directory.
 * It is the default store, so a new user needs no server. PGlite has a single connection:
 * its `transaction` queues other statements until it ends, which is what makes claims atomic
 * here. NOTIFY is delivered in-process.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { QueryResult, SqlDriver, SqlExecutor } from './driver';

/** Options of {@link createPgliteDriver}. */
export interface PgliteDriverOptions {
  /** A data directory to persist into; in memory when absent. Ignored when `db` is given. */
  readonly dataDir?: string;
  /** An instance you made yourself; `close()` leaves it open. */
  readonly db?: PGlite;
}

interface PgliteLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(text: string): Promise<unknown>;
}

function wrap(db: PgliteLike): SqlExecutor {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await db.query<Row>(text, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
    },
    async exec(text: string): Promise<void> {
      await db.exec(text);
    },
  };
}

/** Opens (or wraps) a PGlite database. Loads PGlite only when called. */
export async function createPgliteDriver(options: PgliteDriverOptions = {}): Promise<SqlDriver> {
  let db = options.db;
  const owned = db === undefined;
  if (db === undefined) {
    const { PGlite } = await import('@electric-sql/pglite');
    db = options.dataDir === undefined ? await PGlite.create() : await PGlite.create(options.dataDir);
  }
  const instance = db;
  const base = wrap(instance);
  return {
    dialect: 'pglite',
    query: base.query,
    exec: base.exec,
    transaction: (body) => instance.transaction((tx) => body(wrap(tx))),
    async listen(channel, onMessage) {
      const unsubscribe = await instance.listen(channel, onMessage);
      return async () => {
        if (!instance.closed) await unsubscribe();
      };
    },
    async close() {
      if (owned && !instance.closed) await instance.close();
    },
  };
}
