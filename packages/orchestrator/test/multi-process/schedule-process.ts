/**
 * One engine process for the schedules test (issue #14): it runs the `mp.scheduled` task, whose
 * definition carries two schedules firing every second (`mp-all` with catch-up `all`, `mp-none`
 * with `none`), against the database in TASKER_MP_DATABASE_URL until SIGTERM. Slots older than
 * 2 s count as missed (`schedules.missedAfterMs`), so a pause of every worker leaves a gap that
 * only catch-up fills.
 *
 * It prints `ready` once started, `fired\t<schedule>\t<slot>\t<task id>` for each slot it fired
 * (`schedule.fired`), `skipped\t<schedule>\t<count>\t<first>\t<last>` (`schedule.skipped`) and
 * `error\t<during>\t<message>` for background errors.
 */
import { createEventRouter } from '@tasker/router';
import { createPostgresStore, createTasker, defineTask } from '../../src/index';

const url = process.env.TASKER_MP_DATABASE_URL as string;

const scheduled = defineTask({
  namespace: 'mp',
  name: 'scheduled',
  version: '1.0.0',
  steps: [{ name: 'run', handler: async () => process.pid }],
  schedules: [
    { name: 'mp-all', cron: '* * * * * *', context: { policy: 'all' }, catchUp: 'all', catchUpLimit: 100 },
    { name: 'mp-none', cron: '* * * * * *', context: { policy: 'none' }, catchUp: 'none' },
  ],
});

const line = (...parts: unknown[]) => process.stdout.write(`${parts.map(String).join('\t')}\n`);

const router = createEventRouter({
  mappings: [{ eventName: 'schedule.*', backends: ['out'] }],
  backends: {
    out: {
      name: 'out',
      handle: (e) => {
        const p = e.payload as Record<string, unknown>;
        if (e.name === 'schedule.fired') line('fired', p.schedule, p.slot, p.taskId);
        else line('skipped', p.schedule, p.count, p.firstSlot, p.lastSlot);
      },
    },
  },
});
const store = await createPostgresStore({ connectionString: url, poolSize: 4, onConnectionError: () => {} });
const tasker = createTasker({
  store,
  tasks: [scheduled],
  router,
  config: {
    engine: { pollIntervalMs: 200 },
    schedules: { missedAfterMs: 2_000 },
    telemetry: { queryEvents: false },
  },
  onError: (error, during) =>
    line('error', during, String((error as Error)?.message ?? error).replace(/\s+/g, ' ')),
});
await tasker.start();
line('ready');
process.on('SIGTERM', async () => {
  await tasker.stop();
  await store.close();
  process.exit(0);
});
