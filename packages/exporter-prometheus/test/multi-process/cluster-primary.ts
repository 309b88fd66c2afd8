/**
 * A `node:cluster` service for cluster-scrape.test.ts: the primary serves the merged scrape of
 * its workers on an ephemeral port; each worker counts `CLUSTER_INCREMENTS` jobs in bursts (so
 * that scrapes land while it works), then says `done`.
 *
 * Printed lines: `url <url>` and `ready` once every first worker is ready; `worker <pid>` for
 * each worker ready; `done <pid>` when one finished counting; `exit <pid>` when one exited.
 * SIGUSR2 makes the primary fork one more worker (a replacement).
 */
import cluster from 'node:cluster';
import { startMetricsServer } from '@tasker/exporter-prometheus';
import { createClusterAggregator, createRegistry, serveClusterMetrics } from '@tasker/metrics-native';

const increments = Number(process.env.CLUSTER_INCREMENTS ?? 200_000);

if (cluster.isPrimary) {
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
} else {
  const registry = createRegistry();
  const jobs = registry.counter({
    name: 'cluster_fixture_jobs_total',
    help: 'Jobs counted',
    labelNames: ['kind'],
  });
  const took = registry.histogram({ name: 'cluster_fixture_seconds', help: 'Job time', buckets: [0.1, 1] });
  const busy = registry.gauge({ name: 'cluster_fixture_busy', help: 'One while counting' });
  serveClusterMetrics(registry);
  const a = jobs.labels({ kind: 'a' });
  const b = jobs.labels({ kind: 'b' });
  const burst = Math.max(1, Math.floor(increments / 400));
  let left = increments;
  const work = () => {
    const n = Math.min(left, burst);
    for (let i = 0; i < n; i++) {
      if ((left - i) & 1) a.inc();
      else b.inc();
      took.observe(0.5);
    }
    left -= n;
    if (left > 0) setTimeout(work, 1);
    else {
      busy.set(0);
      process.send?.('done');
    }
  };
  busy.set(1);
  process.send?.('ready');
  work();
}
