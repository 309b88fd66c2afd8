/**
 * One engine process of the operations benchmark's cancellation rounds (started by
 * `orchestrator-operations-cancel.ts` as `node --conditions=@tasker/source --import tsx <this>`):
 * it runs `ops.hold` with the engine's default settings against OPS_DATABASE_URL until SIGTERM.
 *
 * It prints `ready` once started, `started` and `aborted` lines for each handler (see
 * `orchestrator-operations-tasks.ts`), and one tab-separated `error` line per background error.
 */
import { createPostgresStore, createTasker } from '@tasker/orchestrator';
import { holdHandlers, holdTask } from './orchestrator-operations-tasks';

const url = process.env.OPS_DATABASE_URL;
if (url === undefined) throw new Error('OPS_DATABASE_URL is required');

const print = (line: string) => process.stdout.write(`${line}\n`);
const store = await createPostgresStore({ connectionString: url });
const tasker = createTasker({
  store,
  tasks: [holdTask],
  handlers: holdHandlers(print),
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
