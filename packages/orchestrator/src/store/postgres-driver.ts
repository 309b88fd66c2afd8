/**
 * The server driver: node-postgres (`pg`, an optional peer dependency) against PostgreSQL 12+.
 * Queries go through a pool; LISTEN holds one dedicated connection that reconnects by itself
 * with backoff when it drops (server restart, `pg_terminate_backend`, a network cut).
 *
 * `pg` is imported only when a connection string is given, so a user of the PGlite store never
 * needs it. The types below are structural, so this package's declarations never reference
 * `pg`'s.
 */
import { TaskerError } from '../errors';
import type { QueryResult, SqlDriver, SqlExecutor } from './driver';
import { isTransientDatabaseError } from './transient-errors';

/** What the driver uses of a `pg` client. */
export interface PgClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  query(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** What the driver uses of a `pg` pool client. */
export interface PgPoolClientLike extends PgClientLike {
  release(destroy?: boolean | Error): void;
}

/** What the driver uses of a `pg.Pool`. */
export interface PgPoolLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  query(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** pg.Pool's counters (read by `poolStats`; absent on a pool-like without them). */
  readonly totalCount?: number;
  readonly idleCount?: number;
  readonly waitingCount?: number;
  readonly options?: { readonly max?: number };
}

/** Options of {@link createPostgresDriver}: a connection string, or a pool you made. */
export interface PostgresDriverOptions {
  /** `postgres://user@host:5432/db`. The driver makes (and closes) its own pool. */
  readonly connectionString?: string;
  /** A `pg.Pool` you made; `close()` leaves it open. LISTEN then holds one of its clients. */
  readonly pool?: PgPoolLike;
  /** Pool size when the driver makes the pool. Default 10. */
  readonly poolSize?: number;
  /** Called for errors of idle connections and of the listener (they are also survived). */
  readonly onConnectionError?: (error: Error) => void;
  /**
   * Prepare the store's statements (each text is parsed and planned once per connection).
   * Turn off behind a pooler that cannot keep prepared statements (PgBouncer in transaction
   * mode before 1.21). Default true.
   */
  readonly preparedStatements?: boolean;
}

interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPoolLike;
  Client: new (
    config: Record<string, unknown>,
  ) => PgClientLike & { connect(): Promise<void>; end(): Promise<void> };
}

function wrapClient(client: PgClientLike, prepare: boolean): SqlExecutor {
  return {
    async query<Row>(
      text: string,
      params: readonly unknown[] = [],
      statementId?: string,
    ): Promise<QueryResult<Row>> {
      const result =
        prepare && statementId !== undefined
          ? await client.query({ name: statementId, text, values: params as unknown[] })
          : await client.query(text, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(text: string): Promise<void> {
      await client.query(text);
    },
  };
}

async function loadPg(): Promise<PgModule> {
  try {
    const mod = (await import('pg')) as unknown as { default?: PgModule } & PgModule;
    return mod.default ?? mod;
  } catch (error) {
    throw new Error('The PostgreSQL store needs the "pg" package: npm install pg', { cause: error });
  }
}

/**
 * Connects to PostgreSQL.
 *
 * @example
 * ```ts
 * const driver = await createPostgresDriver({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export async function createPostgresDriver(options: PostgresDriverOptions): Promise<SqlDriver> {
  const onConnectionError = options.onConnectionError ?? (() => {});
  let pool = options.pool;
  let makeClient: (() => Promise<{ client: PgClientLike; done: () => Promise<void> }>) | undefined;
  const owned = pool === undefined;
  if (pool === undefined) {
    if (options.connectionString === undefined) {
      throw new TaskerError(
        'CONFIG_INVALID',
        'createPostgresDriver: connectionString (or pool) is required, e.g. { connectionString: process.env.DATABASE_URL }',
      );
    }
    const pg = await loadPg();
    const connectionString = options.connectionString;
    pool = new pg.Pool({ connectionString, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
    makeClient = async () => {
      const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
      client.on('error', onConnectionError);
      await client.connect();
      return { client, done: () => client.end().catch(() => {}) };
    };
  }
  const thePool = pool;
  // An idle pooled connection that dies (server restart, pg_terminate_backend) emits 'error'
  // on the pool; unhandled, it would end the process.
  thePool.on('error', onConnectionError);
  const listenerClient =
    makeClient ??
    (async () => {
      const client = await thePool.connect();
      client.on('error', onConnectionError);
      return { client: client as PgClientLike, done: async () => client.release(true) };
    });
  const prepare = options.preparedStatements ?? true;
  const pooled = wrapClient(thePool as unknown as PgClientLike, prepare);
  const listener = new Listener(listenerClient, onConnectionError);

  return {
    dialect: 'postgres',
    query: pooled.query,
    exec: pooled.exec,
    async transaction(body) {
      const client = await thePool.connect();
      let broken: Error | undefined;
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('begin');
        const result = await body(wrapClient(client, prepare));
        await client.query('commit');
        return result;
      } catch (error) {
        if (broken === undefined && !isTransientDatabaseError(error)) {
          try {
            await client.query('rollback');
          } catch (rollbackError) {
            broken = rollbackError as Error;
          }
        } else if (broken === undefined) {
          broken = error as Error;
        }
        throw error;
      } finally {
        client.removeListener('error', onError);
        client.release(broken ?? false);
      }
    },
    listen: (channel, onMessage, onReconnect) => listener.listen(channel, onMessage, onReconnect),
    poolStats: () => ({
      max: thePool.options?.max ?? options.poolSize ?? 10,
      total: thePool.totalCount ?? 0,
      idle: thePool.idleCount ?? 0,
      waiting: thePool.waitingCount ?? 0,
    }),
    async close() {
      await listener.close();
      if (owned) await thePool.end();
    },
  };
}

interface Subscription {
  readonly channel: string;
  readonly onMessage: (payload: string) => void;
  readonly onReconnect: (() => void) | undefined;
}

/**
 * One LISTEN connection shared by every subscription. When it drops, it reconnects with
 * backoff (250 ms doubling to 5 s), re-subscribes, and tells each subscriber to catch up.
 */
class Listener {
  readonly #connect: () => Promise<{ client: PgClientLike; done: () => Promise<void> }>;
  readonly #onError: (error: Error) => void;
  readonly #subs = new Set<Subscription>();
  #current: { client: PgClientLike; done: () => Promise<void> } | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    connect: () => Promise<{ client: PgClientLike; done: () => Promise<void> }>,
    onError: (e: Error) => void,
  ) {
    this.#connect = connect;
    this.#onError = onError;
  }

  async listen(
    channel: string,
    onMessage: (p: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>> {
    const sub: Subscription = { channel, onMessage, onReconnect };
    this.#subs.add(sub);
    try {
      await this.#ensure();
      if (this.#current !== undefined) await this.#current.client.query(`listen ${quoteIdent(channel)}`);
    } catch (error) {
      // Not subscribed: a caller that tries again later must not be called twice per message.
      this.#subs.delete(sub);
      throw error;
    }
    return async () => {
      this.#subs.delete(sub);
      if (this.#current !== undefined && ![...this.#subs].some((s) => s.channel === channel)) {
        await this.#current.client.query(`unlisten ${quoteIdent(channel)}`).catch(() => {});
      }
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined) await current.done();
  }

  #ensure(): Promise<void> {
    if (this.#current !== undefined) return Promise.resolve();
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<void> {
    const opened = await this.#connect();
    const { client } = opened;
    client.on('notification', (message) => {
      for (const sub of this.#subs) if (sub.channel === message.channel) sub.onMessage(message.payload ?? '');
    });
    const lost = (error?: Error) => {
      if (this.#current !== opened) return;
      this.#current = undefined;
      if (error !== undefined) this.#onError(error);
      void opened.done();
      this.#scheduleReconnect(250);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    this.#current = opened;
  }

  #scheduleReconnect(delayMs: number): void {
    if (this.#closed || this.#subs.size === 0) return;
    this.#timer = setTimeout(async () => {
      try {
        await this.#ensure();
        const current = this.#current;
        if (current === undefined) return;
        for (const channel of new Set([...this.#subs].map((s) => s.channel))) {
          await current.client.query(`listen ${quoteIdent(channel)}`);
        }
        for (const sub of this.#subs) sub.onReconnect?.();
      } catch (error) {
        this.#onError(error as Error);
        this.#scheduleReconnect(Math.min(delayMs * 2, 5_000));
      }
    }, delayMs);
    this.#timer.unref();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
