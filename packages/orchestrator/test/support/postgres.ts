/**
 * PostgreSQL for this package's tests: the workspace's shared helper (the machine's server from
 * `TASKER_TEST_DATABASE_URL`, or an embedded one from npm; one database per test file).
 */
export {
  createTestDatabase,
  describeWithPostgres,
  describeWithPrivatePostgres,
  type TestDatabase,
} from '../../../../test-support/src/postgres';
