/**
 * The store's plumbing: every statement runs through `run`, which times it for SQL monitoring;
 * transactions are retried on transient errors (serialization failure, deadlock, a lost
 * connection) with exponential backoff. A retried transaction re-runs its body from scratch,
 * and the changes it returns are only handed out after the commit that succeeded, so nothing
 * is published twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueryResult, SqlDriver, SqlExecutor } from './driver';
import type { SqlQuery } from './sql/query';
import { isTransientDatabaseError } from './transient-errors';

/** One executed statement, for SQL monitoring. */
export interface QueryInfo {
  readonly name: string;
  readonly durationMs: number;
  readonly rowCount: number;
}

/** How transient database errors are retried. */
export interface TransientRetryOptions {
  /** Attempts after the first. Default 80 (about a minute of waiting in all, with jitter). */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_TRANSIENT_RETRY: TransientRetryOptions = Object.freeze({
  retries: 80,
  baseDelayMs: 100,
  // Short, so that work resumes within about a second of the database coming back (with 5 s
  // the outage benchmark spent 2.3 s of its recovery waiting out retry delays).
  maxDelayMs: 1_000,
});

/** Runs named statements on one executor (the pool, or an open transaction). */
export type Run = <Row = Record<string, unknown>>(
  query: SqlQuery,
  params?: readonly unknown[],
) => Promise<QueryResult<Row>>;

export class StoreContext {
  readonly driver: SqlDriver;
  #onQuery: ((info: QueryInfo) => void) | undefined;
  readonly #onTransientError: ((error: unknown, attempt: number) => void) | undefined;
  readonly #retry: TransientRetryOptions;

  constructor(
    driver: SqlDriver,
    onQuery: ((info: QueryInfo) => void) | undefined,
    retry: TransientRetryOptions,
    onTransientError?: (error: unknown, attempt: number) => void,
  ) {
    this.driver = driver;
    this.#onQuery = onQuery;
    this.#retry = retry;
    this.#onTransientError = onTransientError;
  }

  /** Adds a query observer (SQL monitoring); observers never break a query. */
  observe(listener: (info: QueryInfo) => void): void {
    const previous = this.#onQuery;
    this.#onQuery =
      previous === undefined
        ? listener
        : (info) => {
            previous(info);
            listener(info);
          };
  }

  runner(executor: SqlExecutor): Run {
    return async <Row>(query: SqlQuery, params?: readonly unknown[]) => {
      const onQuery = this.#onQuery;
      if (onQuery === undefined) return executor.query<Row>(query.text, params, query.id);
      const started = performance.now();
      const result = await executor.query<Row>(query.text, params, query.id);
      try {
        onQuery({ name: query.name, durationMs: performance.now() - started, rowCount: result.rowCount });
      } catch {
        // Monitoring must never fail a query.
      }
      return result;
    };
  }

  /**
   * One statement outside a transaction, not retried: the caller retries with fresh
   * parameters. A transient error is reported to the transient-error hook, then thrown.
   */
  async queryOnce<Row = Record<string, unknown>>(
    query: SqlQuery,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    try {
      return await this.runner(this.driver)<Row>(query, params);
    } catch (error) {
      if (isTransientDatabaseError(error)) this.#onTransientError?.(error, 1);
      throw error;
    }
  }

  /** One statement outside a transaction, retried on transient errors. */
  query<Row = Record<string, unknown>>(
    query: SqlQuery,
    params?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    const run = this.runner(this.driver);
    return this.#retrying(() => run<Row>(query, params));
  }

  /** A transaction, retried as a whole on transient errors. */
  transaction<T>(body: (run: Run) => Promise<T>): Promise<T> {
    return this.#retrying(() => this.driver.transaction((tx) => body(this.runner(tx))));
  }

  async #retrying<T>(operation: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (!isTransientDatabaseError(error) || attempt >= this.#retry.retries) throw error;
        this.#onTransientError?.(error, attempt + 1);
        const delay = Math.min(this.#retry.baseDelayMs * 2 ** attempt, this.#retry.maxDelayMs);
        await sleep(delay * (0.5 + Math.random() / 2));
      }
    }
  }
}
