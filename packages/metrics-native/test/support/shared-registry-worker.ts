/**
 * A worker thread of the shared-registry tests. For each task it is sent (one message per
 * task, never per update) it attaches to the task's registry, posts `ready`, waits for the start
 * signal (so that every worker updates at the same time), runs the task, closes its view of the
 * registry and posts `done`. The test decides what to do and checks the result.
 */
import { parentPort } from 'node:worker_threads';
import { attachSharedRegistry, type SharedRegistryHandle } from '@tasker/metrics-native';

export interface WorkerTask {
  readonly handle: SharedRegistryHandle;
  /** Int32Array over a SharedArrayBuffer: index 0 turns 1 at the start signal. */
  readonly start: SharedArrayBuffer;
  readonly task: 'increments' | 'series' | 'race' | 'observe' | 'gauge';
  readonly count: number;
  /** For `series` and `race`: label values to update, in this worker's order. */
  readonly queues?: readonly string[];
  /** For `race`: Int32Array counter of the barrier every worker passes before each label set. */
  readonly barrier?: SharedArrayBuffer;
  /** For `race`: how many workers pass the barrier. */
  readonly racers?: number;
}

function run(task: WorkerTask): void {
  const warnings: string[] = [];
  const registry = attachSharedRegistry(task.handle, { warn: (m) => warnings.push(m) });
  parentPort?.postMessage({ type: 'ready', lane: registry.lane });
  Atomics.wait(new Int32Array(task.start), 0, 0);
  switch (task.task) {
    case 'increments': {
      const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'] });
      const bound = jobs.labels({ queue: 'default' });
      const ticks = registry.counter({ name: 'ticks_total', help: 'Ticks.' });
      for (let i = 0; i < task.count; i++) {
        bound.inc();
        ticks.inc();
      }
      break;
    }
    case 'series': {
      const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'] });
      for (let i = 0; i < task.count; i++) {
        for (const queue of task.queues ?? []) jobs.inc({ queue });
      }
      break;
    }
    case 'race': {
      // Before each label set every worker waits at a barrier, so that they all try to create
      // it at the same instant: the race a compare-and-swap on the table entry must settle.
      const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'] });
      const barrier = new Int32Array(task.barrier as SharedArrayBuffer);
      const racers = task.racers as number;
      (task.queues ?? []).forEach((queue, k) => {
        Atomics.add(barrier, 0, 1);
        const target = (k + 1) * racers;
        for (let spins = 0; Atomics.load(barrier, 0) < target; spins++) {
          // Spin (waking is slower than the race); yield now and then on a busy machine.
          if (spins > 100_000) Atomics.wait(barrier, 1, 0, 1);
        }
        jobs.inc({ queue });
      });
      break;
    }
    case 'observe': {
      const latency = registry.histogram({
        name: 'latency_seconds',
        help: 'Latency.',
        labelNames: ['route'],
      });
      const route = latency.labels({ route: '/a' });
      // Sums exact in floats: 0.5, 2 and 20 land in the second, third and +Inf buckets.
      const values = [0.5, 2, 20, 0.5];
      for (let i = 0; i < task.count; i++) route.observe(values[i & 3] as number);
      break;
    }
    case 'gauge': {
      const inFlight = registry.gauge({ name: 'in_flight', help: 'In flight.' });
      for (let i = 0; i < task.count; i++) inFlight.inc();
      break;
    }
  }
  registry.close();
  parentPort?.postMessage({ type: 'done', warnings });
}

parentPort?.on('message', run);
parentPort?.postMessage({ type: 'started' });
