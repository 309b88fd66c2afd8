/**
 * The SQL driver contract. Both drivers speak the same PostgreSQL dialect (nothing newer than
 * PostgreSQL 15); the store above them never knows which one it talks to.
 */

/** Rows and the number of rows a statement touched. */
export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Runs statements: the driver itself (autocommit) or an open transaction. */
export interface SqlExecutor {
  /**
   * One statement with `$1`-style parameters. Values are never interpolated. `statementId`
   * names the text for drivers that prepare statements (one name per text, ever).
   */
  query<Row = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    statementId?: string,
  ): Promise<QueryResult<Row>>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

/** A connection (or pool) to one database. */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'pglite' | 'postgres';
  /**
   * Runs `body` in one transaction: commits when it resolves, rolls back when it throws. The
   * driver does not retry; the store decides what is transient.
   */
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Subscribes to `channel`. Resolves once listening; the returned function unsubscribes. A
   * driver whose connection drops re-subscribes by itself and calls `onReconnect`, so the
   * caller can poll for what it missed.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  /**
   * The connection pool's use now, for `/health/status`: its size limit, connections open,
   * idle ones, and queries waiting for one. Absent on drivers without a pool (PGlite).
   */
  poolStats?(): PoolStats;
  /** Closes every connection the driver opened (not a pool or instance passed in). */
  close(): Promise<void>;
}

/** A pool's use (see {@link SqlDriver.poolStats}). */
export interface PoolStats {
  readonly max: number;
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}
