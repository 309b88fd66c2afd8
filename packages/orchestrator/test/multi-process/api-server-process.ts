/**
 * A REST API server process for the bounded-page test: the API over the PostgreSQL database in
 * TASKER_MP_DATABASE_URL, on 127.0.0.1 and an ephemeral port, without workers. It prints
 * `url\t<base url>`, then `ready`, then every 100 ms `lag\t<ms>`: the longest the event loop
 * was held in that time (`monitorEventLoopDelay`), and `heap\t<MiB>` (the heap used). It stops
 * on SIGTERM. TASKER_MP_PAGE_BYTES sets `maxPageBytes` (to show what happens without a budget).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createTaskerApi } from '../../src/api/index';
import { createPostgresStore, createTasker } from '../../src/index';

const url = process.env.TASKER_MP_DATABASE_URL as string;
const pageBytes = process.env.TASKER_MP_PAGE_BYTES;

const store = await createPostgresStore({ connectionString: url, poolSize: 8 });
const tasker = createTasker({ store, tasks: [] });
const api = createTaskerApi({
  tasker,
  ...(pageBytes === undefined ? {} : { maxPageBytes: Number(pageBytes) }),
});
const server = await api.listen({ hostname: '127.0.0.1', port: 0 });
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
const timer = setInterval(() => {
  process.stdout.write(
    `lag\t${(lag.max / 1e6).toFixed(1)}\nheap\t${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)}\n`,
  );
  lag.reset();
}, 100);
process.stdout.write(`url\t${server.url}\nready\n`);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void server
    .close()
    .then(() => tasker.stop())
    .then(() => process.exit(0));
});
