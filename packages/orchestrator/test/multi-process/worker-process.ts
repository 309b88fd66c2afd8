/**
 * One engine process for the multi-process tests: runs the `mp.fanout` task's steps against the
 * database in TASKER_MP_DATABASE_URL until SIGTERM, writing a side-effect row per handler call.
 */
import pg from 'pg';
import { createPostgresStore, createTasker } from '../../src/index';
import { multiProcessTask } from './task';

const url = process.env.TASKER_MP_DATABASE_URL as string;
const side = new pg.Pool({ connectionString: url, max: 4 });
side.on('error', () => {});
const store = await createPostgresStore({ connectionString: url, poolSize: 6 });
const tasker = createTasker({
  store,
  tasks: [multiProcessTask],
  handlers: {
    work: async (ctx) => {
      await side.query('insert into side_effects (step_id, pid) values ($1, $2)', [ctx.stepId, process.pid]);
      return process.pid;
    },
  },
  config: { engine: { pollIntervalMs: 100, leaseMs: 2_000, batchSize: 10 }, execution: { concurrency: 8 } },
  onError: () => {},
});
await tasker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await tasker.stop();
  await store.close();
  await side.end();
  process.exit(0);
});
