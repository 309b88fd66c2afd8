/**
 * A worker thread of `metrics-native-shared.bench.ts`. For each round it is sent, it attaches
 * to the shared registry (or makes its own unshared one), waits for the start signal, counts
 * `count` increments through a bound handle, and posts `done` with the value it can see.
 */
import { parentPort } from 'node:worker_threads';
import { attachSharedRegistry, createRegistry, type SharedRegistryHandle } from '@tasker/metrics-native';

export interface ThreadRound {
  readonly kind: 'shared' | 'unshared';
  readonly handle: SharedRegistryHandle;
  readonly start: SharedArrayBuffer;
  readonly count: number;
}

const options = { name: 'thread_ops_total', help: 'Operations.', labelNames: ['kind'] } as const;

parentPort?.on('message', (round: ThreadRound) => {
  const sharedView = round.kind === 'shared' ? attachSharedRegistry(round.handle) : undefined;
  const registry = sharedView ?? createRegistry();
  const handle = registry.counter(options).labels({ kind: 'a' });
  parentPort?.postMessage({ type: 'ready' });
  Atomics.wait(new Int32Array(round.start), 0, 0);
  for (let i = 0; i < round.count; i++) handle.inc();
  const family = registry.collect().families.find((f) => f.name === options.name);
  const seen = family?.type === 'counter' ? (family.series[0]?.value ?? 0) : 0;
  sharedView?.close();
  parentPort?.postMessage({ type: 'done', seen });
});
parentPort?.postMessage({ type: 'started' });
