/**
 * The PostgreSQL server the benchmarks use: `TASKER_BENCH_DATABASE_URL`, else
 * `TASKER_TEST_DATABASE_URL`, else the machine's server. Each benchmark makes its own databases
 * on it (`databaseUrl`) through an admin connection to the server's URL (`admin`).
 */
import pg from 'pg';

export const serverUrl =
  process.env.TASKER_BENCH_DATABASE_URL ??
  process.env.TASKER_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the same server. */
export function databaseUrl(name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs `body` with a connection to the server's URL, closed afterwards. */
export async function admin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}
