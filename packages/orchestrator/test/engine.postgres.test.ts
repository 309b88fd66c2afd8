import pg from 'pg';
import { createPostgresStore } from '../src/index';
import { engineSuite } from './support/engine-suite';
import { describeWithPostgres } from './support/postgres';

describeWithPostgres('engine (PostgreSQL)', (database) => {
  engineSuite('PostgreSQL', async () => {
    const store = await createPostgresStore({ connectionString: database().url, poolSize: 6 });
    // A connection of its own for the audit reads, outside the store's pool.
    const audit = new pg.Client({ connectionString: database().url });
    await audit.connect();
    return {
      store,
      query: (text, params) => audit.query(text, params),
      close: async () => {
        await store.close();
        await audit.end();
      },
    };
  });
});
