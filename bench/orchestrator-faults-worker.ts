/**
 * One engine process of the faults benchmark's SIGKILL rounds (started by
 * `orchestrator-faults.bench.ts` as `node --conditions=@tasker/source --import tsx <this>`).
 * It runs with the engine's default settings (lease, renewal, heartbeat, poll, concurrency,
 * batch size) against FAULTS_DATABASE_URL until SIGTERM (a graceful stop) or SIGKILL.
 *
 * - FAULTS_ROLE=victim registers `faults.hang` only, so it claims nothing but the steps it will
 *   hold when it is killed; `survivor` registers `faults.hang` and `faults.busy`.
 *
 * It prints `ready` once started, and one tab-separated `error` line per background error.
 */
import { createPostgresStore, createTasker } from '@tasker/orchestrator';
import { busyTask, faultHandlers, hangTask } from './orchestrator-faults-tasks';

const url = process.env.FAULTS_DATABASE_URL;
const role = process.env.FAULTS_ROLE;
if (url === undefined || (role !== 'victim' && role !== 'survivor'))
  throw new Error('FAULTS_DATABASE_URL and FAULTS_ROLE (victim or survivor) are required');

const store = await createPostgresStore({ connectionString: url });
const tasker = createTasker({
  store,
  tasks: role === 'victim' ? [hangTask] : [hangTask, busyTask],
  handlers: faultHandlers,
  onError: (error, during) => {
    const message = String((error as Error)?.message ?? error).replace(/\s+/g, ' ');
    process.stdout.write(`error\t${during}\t${message}\n`);
  },
});
await tasker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await tasker.stop();
  await store.close();
  process.exit(0);
});
