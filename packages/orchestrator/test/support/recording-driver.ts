/**
 * A driver that records every statement it runs (its text, parameters and the rows it
 * returned), in transactions too: what a test asserts about the statements the engine sends.
 */
import type { QueryResult, SqlDriver, SqlExecutor } from '../../src/index';

/** One statement a {@link RecordingDriver} ran. */
export interface RecordedQuery {
  readonly text: string;
  readonly params: readonly unknown[];
  readonly rows: number;
}

/** A driver with the statements it ran so far (a test may empty the list). */
export interface RecordingDriver extends SqlDriver {
  readonly queries: RecordedQuery[];
}

function recording(executor: SqlExecutor, queries: RecordedQuery[]): SqlExecutor['query'] {
  return async <Row>(text: string, params: readonly unknown[] = [], statementId?: string) => {
    const result: QueryResult<Row> = await executor.query<Row>(text, params, statementId);
    queries.push({ text, params, rows: result.rows.length });
    return result;
  };
}

/** Wraps `inner`; closing the wrapper closes it. */
export function recordingDriver(inner: SqlDriver): RecordingDriver {
  const queries: RecordedQuery[] = [];
  return {
    queries,
    dialect: inner.dialect,
    query: recording(inner, queries),
    exec: (text) => inner.exec(text),
    transaction: (body) =>
      inner.transaction((tx) => body({ query: recording(tx, queries), exec: (text) => tx.exec(text) })),
    listen: (channel, onMessage, onReconnect) => inner.listen(channel, onMessage, onReconnect),
    close: () => inner.close(),
  };
}
