/**
 * The PostgreSQL helpers themselves: the run's shared server (the machine's, or the embedded one
 * when none is given or `TASKER_TEST_POSTGRES=embedded` forces it) and a private server that a
 * test may stop and start without touching the shared one. `.ci/run` runs this file once with
 * the embedded server forced, so CI proves the fallback of a bare machine.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithPostgres, describeWithPrivatePostgres, testPostgres } from '../src/postgres';

async function scalar(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(sql);
    return rows[0] === undefined ? undefined : Object.values(rows[0] as Record<string, unknown>)[0];
  } finally {
    await client.end();
  }
}

describeWithPostgres('the shared PostgreSQL', (database) => {
  it('is the server the environment asks for', () => {
    const server = testPostgres();
    const forced = process.env.TASKER_TEST_POSTGRES === 'embedded';
    const url = process.env.TASKER_TEST_DATABASE_URL;
    expect(server.kind).toBe(forced || url === undefined || url === '' ? 'embedded' : 'external');
  });

  it('gives this file a database of its own, on which SQL runs', async () => {
    expect(database().name).toMatch(/^tasker_test_[0-9a-f]{12}$/);
    expect(await scalar(database().url, 'select current_database()')).toBe(database().name);
    await scalar(database().url, 'create table t (id int primary key)');
    await scalar(database().url, 'insert into t values (1), (2)');
    expect(Number(await scalar(database().url, 'select count(*) from t'))).toBe(2);
  });
});

describeWithPrivatePostgres(
  'a private PostgreSQL',
  (server) => {
    it('runs with the settings asked for', async () => {
      expect(await scalar(server().url, 'show max_connections')).toBe('30');
      expect(server().version).toMatch(/^PostgreSQL \d+\.\d+/);
    });

    it('stops and starts again with its data, while the shared server keeps answering', async () => {
      await scalar(server().url, 'create table kept (v text)');
      await scalar(server().url, "insert into kept values ('before the restart')");
      await server().stop();
      await expect(scalar(server().url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
      const shared = testPostgres();
      if (shared.kind !== 'none') expect(await scalar(shared.url, 'select 1')).toBe(1);
      await server().start();
      expect(await scalar(server().url, 'select v from kept')).toBe('before the restart');
    });

    it('drops every connection on restart', async () => {
      const client = new pg.Client({ connectionString: server().url });
      await client.connect();
      client.on('error', () => {});
      await server().restart();
      await expect(client.query('select 1')).rejects.toThrow();
      await client.end().catch(() => {});
      expect(await scalar(server().url, 'select 1')).toBe(1);
    });
  },
  { settings: { max_connections: '30' } },
);
