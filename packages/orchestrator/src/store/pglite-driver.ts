/**
 * The embedded driver: PGlite (PostgreSQL compiled to WASM), in memory or in a data directory.
 * It is the default store, so a new user needs no server. PGlite has a single connection:
 * its `transaction` queues other statements until it ends, which is what makes claims atomic
 * here. NOTIFY is delivered in-process.
 */
import { TaskerError } from '../errors';
import { isMissingPeer, missingPeerMessage, PGLITE_PEER } from '../optional-peer';
import type { QueryResult, SqlDriver, SqlExecutor } from './driver';

/**
 * What the driver uses of a PGlite transaction. Structural, like `PgliteLike`, so these
 * declarations never reference PGlite's own types.
 */
export interface PgliteTransactionLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(text: string): Promise<unknown>;
}

/**
 * What the driver uses of a PGlite instance (`@electric-sql/pglite`'s `PGlite` satisfies it).
 * Structural, so that this package's declarations never import PGlite's types: a project that
 * does not install PGlite (an optional peer dependency) still type-checks with
 * `skipLibCheck: false`.
 */
export interface PgliteLike extends PgliteTransactionLike {
  transaction<T>(callback: (tx: PgliteTransactionLike) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  readonly closed: boolean;
  close(): Promise<void>;
}

/** Options of {@link createPgliteDriver}. */
export interface PgliteDriverOptions {
  /** A data directory to persist into; in memory when absent. Ignored when `db` is given. */
  readonly dataDir?: string;
  /** A `PGlite` instance you made yourself; `close()` leaves it open. */
  readonly db?: PgliteLike;
}

interface PgliteModule {
  PGlite: { create(dataDir?: string): Promise<PgliteLike> };
}

/**
 * Imports PGlite, an optional peer dependency. Without it, the error says what needs it and
 * gives the install command (and the alternative of a PostgreSQL store).
 */
async function loadPglite(): Promise<PgliteModule> {
  try {
    return (await import('@electric-sql/pglite')) as unknown as PgliteModule;
  } catch (error) {
    if (!isMissingPeer(error, PGLITE_PEER)) throw error;
    throw new TaskerError(
      'STORE_ERROR',
      missingPeerMessage(PGLITE_PEER, 'configure a PostgreSQL store (store: { kind: "postgres" })'),
      { cause: error },
    );
  }
}

function wrap(db: PgliteTransactionLike): SqlExecutor {
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

/**
 * Opens (or wraps) a PGlite database. Loads PGlite only when called; without the package it
 * throws a `STORE_ERROR` whose message gives the install command.
 */
export async function createPgliteDriver(options: PgliteDriverOptions = {}): Promise<SqlDriver> {
  let db = options.db;
  const owned = db === undefined;
  if (db === undefined) {
    const { PGlite } = await loadPglite();
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
