/**
 * A worker of bench/metrics-cluster.bench.ts: the same series in a @tasker/metrics-native
 * registry (served with serveClusterMetrics) and in a prom-client 15.1.3 registry (served to
 * its AggregatorRegistry). On `touch` it updates every series of both; on `cpu` it tells its
 * CPU time so far; on `increments` it times a bound counter increment (CPU time, rounds
 * interleaved) and sends the results.
 */
import { createRegistry, serveClusterMetrics } from '@tasker/metrics-native';
import * as prom from 'prom-client';
import { runGroup } from './harness';

export const ROUTES = 200;
export const STATUSES = ['200', '201', '400', '404', '500'];
export const QUEUES = 50;

const registry = createRegistry({ defaultSeriesLimit: 5000 });
const requests = registry.counter({
  name: 'bench_cluster_requests_total',
  help: 'Requests',
  labelNames: ['route', 'status'],
});
const durations = registry.histogram({
  name: 'bench_cluster_request_seconds',
  help: 'Request time',
  labelNames: ['route'],
});
const depth = registry.gauge({
  name: 'bench_cluster_queue_depth',
  help: 'Queue depth',
  labelNames: ['queue'],
});
serveClusterMetrics(registry);

const theirs = new prom.Registry();
const pRequests = new prom.Counter({
  name: 'bench_cluster_requests_total',
  help: 'Requests',
  labelNames: ['route', 'status'],
  registers: [theirs],
});
const pDurations = new prom.Histogram({
  name: 'bench_cluster_request_seconds',
  help: 'Request time',
  labelNames: ['route'],
  registers: [theirs],
});
const pDepth = new prom.Gauge({
  name: 'bench_cluster_queue_depth',
  help: 'Queue depth',
  labelNames: ['queue'],
  registers: [theirs],
});
// Constructing an AggregatorRegistry in a worker installs prom-client's answering listener.
new prom.AggregatorRegistry();
prom.AggregatorRegistry.setRegistries([theirs]);

const routes = Array.from({ length: ROUTES }, (_, i) => `/api/v1/resource-${i}`);
let turn = 0;

function touch(): void {
  turn++;
  for (const route of routes) {
    for (const status of STATUSES) {
      requests.inc({ route, status });
      pRequests.inc({ route, status });
    }
    const seconds = ((turn * 7 + route.length) % 100) / 100;
    durations.observe({ route }, seconds);
    pDurations.observe({ route }, seconds);
  }
  for (let q = 0; q < QUEUES; q++) {
    depth.set({ queue: `q${q}` }, turn + q);
    pDepth.set({ queue: `q${q}` }, turn + q);
  }
}

function increments(): unknown {
  const served = requests.labels({ route: '/api/v1/resource-0', status: '200' });
  const single = createRegistry()
    .counter({ name: 'bench_single_total', help: 'h', labelNames: ['route', 'status'] })
    .labels({ route: '/api/v1/resource-0', status: '200' });
  const pServed = pRequests.labels({ route: '/api/v1/resource-0', status: '200' });
  return runGroup(
    [
      {
        name: 'Counter.inc (bound, cluster worker, served)',
        run: (n) => {
          for (let i = 0; i < n; i++) served.inc();
        },
      },
      {
        name: 'Counter.inc (bound, single-process registry)',
        run: (n) => {
          for (let i = 0; i < n; i++) single.inc();
        },
      },
      {
        name: 'prom-client Counter.inc (labels() bound, AggregatorRegistry worker)',
        run: (n) => {
          for (let i = 0; i < n; i++) pServed.inc();
        },
      },
    ],
    { iterations: 2_000_000, rounds: 15, warmupRounds: 3 },
  );
}

process.on('message', (message: { cmd?: string }) => {
  if (message?.cmd === 'touch') {
    touch();
    process.send?.({ cmd: 'touched' });
  } else if (message?.cmd === 'cpu') {
    const used = process.cpuUsage();
    process.send?.({ cmd: 'cpu', micros: used.user + used.system });
  } else if (message?.cmd === 'increments') {
    process.send?.({ cmd: 'increments', results: increments() });
  }
});
process.send?.({ cmd: 'ready' });
