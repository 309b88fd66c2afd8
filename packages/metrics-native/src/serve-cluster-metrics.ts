import {
  type FullWireSnapshot,
  isWireRequest,
  leaveOutKnown,
  REPLY_TYPE,
  toWire,
  type WireReply,
} from './cluster-wire';
import { MetricsError } from './errors';
import type { Registry } from './registry';

/**
 * The worker's side of a cluster scrape: answers the primary's requests (from
 * {@link createClusterAggregator}) with a compact snapshot of `registry`, over the process's
 * IPC channel. Call it once per process, in a `node:cluster` worker or a `child_process.fork()`
 * child. Returns a function that stops answering.
 *
 * The listener keeps the IPC channel referenced, as any `process.on('message')` does; a
 * cluster worker's channel is referenced anyway.
 *
 * @throws MetricsError `CLUSTER_NO_IPC` when the process has no IPC channel (it was not
 * started by `cluster.fork()` or `child_process.fork()`).
 *
 * @example
 * ```ts
 * const registry = createRegistry();
 * serveClusterMetrics(registry);
 * ```
 */
export function serveClusterMetrics(registry: Pick<Registry, 'collect'>): () => void {
  if (typeof process.send !== 'function') {
    throw new MetricsError(
      'CLUSTER_NO_IPC',
      'serveClusterMetrics: this process has no IPC channel; call it in a process started by cluster.fork() or child_process.fork()',
    );
  }
  if (typeof registry !== 'object' || registry === null || typeof registry.collect !== 'function') {
    throw new MetricsError(
      'CLUSTER_OPTIONS_INVALID',
      'serveClusterMetrics: expected a registry from createRegistry() (an object with collect())',
    );
  }
  // The last answer, which the primary names as `base` when it holds it.
  let last: { id: number; full: FullWireSnapshot } | undefined;
  const listener = (message: unknown) => {
    if (!isWireRequest(message) || typeof process.send !== 'function') return;
    const full = toWire(registry.collect());
    const snapshot = last !== undefined && message.base === last.id ? leaveOutKnown(full, last.full) : full;
    last = { id: message.id, full };
    const reply: WireReply = { type: REPLY_TYPE, id: message.id, snapshot };
    // The callback swallows a closed channel: the primary counts a missing answer itself.
    process.send(reply, undefined, undefined, () => {});
  };
  process.on('message', listener);
  return () => {
    process.off('message', listener);
  };
}
