/**
 * One engine process of the flow-control benchmark's delayed-start rounds (started by
 * `orchestrator-flow-run-at.ts` as `node --conditions=@tasker/source --import tsx <this>`): it
 * runs `bench.delayed` with the engine's default settings against FLOW_DATABASE_URL until
 * SIGTERM. It prints `ready` once started, `started\t<task id>\t<Date.now()>` when a handler
 * starts, and one tab-separated `error` line per background error.
 */
import { createPostgresStore, createTasker } from '@tasker/orchestrator';
import { delayedTask } from './orchestrator-flow-tasks';

const url = process.env.FLOW_DATABASE_URL;
if (url === undefined) throw new Error('FLOW_DATABASE_URL is required');

const print = (line: string) => process.stdout.write(`${line}\n`);
const store = await createPostgresStore({ connectionString: url });
const tasker = createTasker({
  store,
  tasks: [delayedTask],
  handlers: {
    noop: (ctx) => {
      print(`started\t${ctx.taskId}\t${Date.now()}`);
      return null;
    },
  },
  onError: (error, during) => {
    const message = String((error as Error)?.message ?? error).replace(/\s+/g, ' ');
    print(`error\t${during}\t${message}`);
  },
});
await tasker.start();
print('ready');
process.on('SIGTERM', async () => {
  await tasker.stop();
  await store.close();
  process.exit(0);
});
