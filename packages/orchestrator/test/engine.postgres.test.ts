import { createPostgresStore } from '../src/index';
import { engineSuite } from './support/engine-suite';
import { describeWithPostgres } from './support/postgres';

describeWithPostgres('engine (PostgreSQL)', (database) => {
  engineSuite('PostgreSQL', () => createPostgresStore({ connectionString: database().url, poolSize: 6 }));
});
