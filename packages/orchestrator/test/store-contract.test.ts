import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore, createPostgresStore } from '../src/index';
import { runStoreContract } from '../src/testing/index';
import { describeWithPostgres } from './support/postgres';

const api = { describe, it, expect, beforeAll, afterAll, afterEach };

runStoreContract(api, { name: 'PGlite (in memory)', create: () => createPgliteStore() });

describeWithPostgres('PostgreSQL', (database) => {
  runStoreContract(api, {
    name: 'PostgreSQL (pg)',
    create: () => createPostgresStore({ connectionString: database().url, poolSize: 4 }),
    openSession: async () => {
      const client = new pg.Client({ connectionString: database().url });
      await client.connect();
      return { query: (text, params) => client.query(text, params), close: () => client.end() };
    },
  });
});
