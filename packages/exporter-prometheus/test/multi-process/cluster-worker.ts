/**
 * A worker of cluster-primary.ts: counts `CLUSTER_INCREMENTS` jobs in bursts (so that scrapes
 * land while it works), then says `done`.
 */
import { createRegistry, serveClusterMetrics } from '@tasker/metrics-native';

const increments = Number(process.env.CLUSTER_INCREMENTS ?? 200_000);
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
