import { createPostgresStore } from '../src/index';
import { apiRoutesSuite } from './support/api-routes-suite';
import { describeWithPostgres } from './support/postgres';

describeWithPostgres('REST API (PostgreSQL)', (database) => {
  apiRoutesSuite('PostgreSQL', () => createPostgresStore({ connectionString: database().url, poolSize: 4 }));
});
