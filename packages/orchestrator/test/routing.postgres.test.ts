import { createPostgresStore } from '../src/index';
import { describeWithPostgres } from './support/postgres';
import { routingSuite } from './support/routing-suite';

describeWithPostgres('claim routing (PostgreSQL)', (database) => {
  routingSuite('PostgreSQL', () => createPostgresStore({ connectionString: database().url, poolSize: 6 }));
});
