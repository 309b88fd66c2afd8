/**
 * A worker thread of the shared-registry scrape test. `serve`: attaches to the shared registry
 * and serves it on /metrics (an ephemeral port on 127.0.0.1) until told `stop`. `count`:
 * attaches, waits for the start signal, counts, and posts `done`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedRegistry, type SharedRegistryHandle } from '@tasker/metrics-native';
import { startMetricsServer } from '../../src/index';

export interface ThreadTask {
  readonly handle: SharedRegistryHandle;
  readonly role: 'serve' | 'count';
  /** For `count`: Int32Array whose index 0 turns 1 at the start signal. */
  readonly start?: SharedArrayBuffer;
  readonly count?: number;
}

const task = workerData as ThreadTask;
const registry = attachSharedRegistry(task.handle);

if (task.role === 'serve') {
  const server = await startMetricsServer({ registry, port: 0 });
  parentPort?.on('message', async (message: string) => {
    if (message !== 'stop') return;
    await server.close();
    registry.close();
    parentPort?.postMessage({ type: 'stopped' });
  });
  parentPort?.postMessage({ type: 'listening', url: server.url });
} else {
  const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'] });
  const seconds = registry.histogram({ name: 'job_seconds', help: 'Job time.', buckets: [0.1, 1] });
  const queues = [jobs.labels({ queue: 'a' }), jobs.labels({ queue: 'b' })];
  parentPort?.postMessage({ type: 'ready' });
  Atomics.wait(new Int32Array(task.start as SharedArrayBuffer), 0, 0);
  const count = task.count as number;
  for (let i = 0; i < count; i++) {
    queues[i & 1]?.inc();
    seconds.observe((i & 3) === 0 ? 2 : 0.5);
  }
  registry.close();
  parentPort?.postMessage({ type: 'done' });
}
