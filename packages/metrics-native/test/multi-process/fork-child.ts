/**
 * A `child_process.fork()` child for fork-children.test.ts: counts `FORK_COUNT` jobs, serves its
 * registry to the parent's aggregator, and says `ready`. Started without an IPC channel, it
 * prints the code `serveClusterMetrics` throws.
 */
import { createRegistry, isMetricsError, serveClusterMetrics } from '@tasker/metrics-native';

const registry = createRegistry();
try {
  serveClusterMetrics(registry);
} catch (error) {
  console.log(isMetricsError(error) ? error.code : String(error));
  process.exit(0);
}
registry.counter({ name: 'forked_jobs_total', help: 'Jobs' }).inc(Number(process.env.FORK_COUNT));
registry.gauge({ name: 'forked_level', help: 'Level' }).set(Number(process.env.FORK_COUNT));
process.send?.('ready');
