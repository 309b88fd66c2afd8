/**
 * A `node:cluster` service for cluster-scrape.test.ts: the primary serves the merged scrape of
 * its workers (cluster-worker.ts) on an ephemeral port.
 *
 * Printed lines: `url <url>` and `ready` once every first worker is ready; `worker <pid>` for
 * each worker ready; `done <pid>` when one finished counting; `exit <pid>` when one exited.
 * SIGUSR2 makes the primary fork one more worker (a replacement).
 */
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { startMetricsServer } from '@tasker/exporter-prometheus';
import { createClusterAggregator } from '@tasker/metrics-native';

// Workers load only what they use (not the exporter): a faster start.
cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.ts', import.meta.url)) });

const workers = Number(process.env.CLUSTER_WORKERS ?? 4);
const aggregator = createClusterAggregator({
  timeoutMs: Number(process.env.CLUSTER_TIMEOUT_MS ?? 500),
  gaugeModes: { cluster_fixture_busy: 'pid' },
});
let ready = 0;
let announced = false;
const server = await startMetricsServer({ registry: aggregator, port: 0 });
cluster.on('message', (worker, message) => {
  const pid = worker.process.pid;
  if (message === 'ready') {
    console.log(`worker ${pid}`);
    if (++ready === workers && !announced) {
      announced = true;
      console.log(`url ${server.url}`);
      console.log('ready');
    }
  } else if (message === 'done') {
    console.log(`done ${pid}`);
  }
});
cluster.on('exit', (worker) => console.log(`exit ${worker.process.pid}`));
process.on('SIGUSR2', () => cluster.fork());
for (let i = 0; i < workers; i++) cluster.fork();
