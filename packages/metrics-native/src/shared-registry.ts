import type { Counter } from './counter';
import { MetricsError } from './errors';
import type { Gauge } from './gauge';
import type { Histogram } from './histogram';
import type { HistoryQuery, MetricHistory } from './history';
import type { CounterOptions, GaugeOptions, HistogramOptions, InstrumentConfig } from './instrument-options';
import { parseInstrumentOptions, shapeDifference } from './instrument-options';
import { type MetricType, reservedNames } from './metric-name';
import { createRegistry, type Registry } from './registry';
import { createSharedCounter } from './shared-counter';
import { SharedFamily } from './shared-family';
import { sharedFamilySnapshot } from './shared-family-snapshot';
import { createSharedGauge } from './shared-gauge';
import { createSharedHistogram } from './shared-histogram';
import { type SharedLayout, sharedLayout } from './shared-layout';
import {
  type AttachSharedRegistryOptions,
  configsOfHandle,
  parseAttachOptions,
  parseSharedRegistryOptions,
  type SharedRegistryHandle,
  type SharedRegistryOptions,
  type ThreadConfig,
} from './shared-registry-options';
import type { CollectInSlicesOptions, CollectOptions } from './slice-options';
import type { MetricFamilySnapshot, MetricsSnapshot } from './snapshot';
import { showValue } from './validation-message';

/**
 * A registry whose declared instruments live in a `SharedArrayBuffer` that every attached
 * `worker_threads` thread updates in place: no message per update, no handshake at scrape. A
 * scrape from any attached thread sees every thread's updates.
 *
 * It is a {@link Registry}: `counter()`, `gauge()` and `histogram()` return the shared instrument
 * of a declared name (the options must match the declaration), and make an ordinary instrument,
 * kept in this thread only, for any other name (such as the exporter's own error counter).
 * `collect()` returns the shared instruments first, then this thread's own.
 */
export interface SharedRegistry extends Registry {
  /** Pass this to a worker (in `workerData` or one `postMessage`) for `attachSharedRegistry`. */
  readonly handle: SharedRegistryHandle;
  /** This thread's lane, from 0 to `maxThreads - 1`. */
  readonly lane: number;
  /**
   * Gives this thread's lane back so another thread can attach in its place; what this thread
   * counted stays in the totals. Call it last: later updates from this thread are not recorded.
   */
  close(): void;
}

interface SharedEntry {
  readonly config: InstrumentConfig;
  readonly family: SharedFamily;
  readonly instrument: unknown;
}

class SharedMetricsRegistry implements SharedRegistry {
  readonly handle: SharedRegistryHandle;
  readonly lane: number;
  readonly #local: Registry;
  readonly #entries = new Map<string, SharedEntry>();
  /** Family and sample names of the shared instruments → the instrument's name. */
  readonly #reserved = new Map<string, string>();
  readonly #owners: Int32Array;
  #closed = false;

  constructor(
    handle: SharedRegistryHandle,
    configs: readonly InstrumentConfig[],
    layout: SharedLayout,
    thread: ThreadConfig,
  ) {
    this.handle = handle;
    this.#owners = layout.laneOwners(handle.buffer);
    this.lane = claimLane(this.#owners);
    this.#local = createRegistry({
      defaultSeriesLimit: handle.defaultSeriesLimit,
      now: thread.now,
      warn: thread.warn,
      compileLabelLookups: thread.compileLabelLookups,
    });
    const context = { now: thread.now, warn: thread.warn, compileLookups: thread.compileLabelLookups };
    configs.forEach((config, index) => {
      const family = new SharedFamily(config, layout.region(handle.buffer, index), this.lane, context);
      const instrument =
        config.type === 'counter'
          ? createSharedCounter(family)
          : config.type === 'gauge'
            ? createSharedGauge(family)
            : createSharedHistogram(family);
      this.#entries.set(config.name, { config, family, instrument });
      for (const name of reservedNames(config.type, config.name)) this.#reserved.set(name, config.name);
    });
  }

  counter<const L extends string = never>(options: CounterOptions<L>): Counter<L> {
    return (this.#shared('counter', options) ?? this.#local.counter(options)) as Counter<L>;
  }

  gauge<const L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    return (this.#shared('gauge', options) ?? this.#local.gauge(options)) as Gauge<L>;
  }

  histogram<const L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return (this.#shared('histogram', options) ?? this.#local.histogram(options)) as Histogram<L>;
  }

  collect(options?: CollectOptions): MetricsSnapshot {
    // The local collect runs the beforeCollect hooks first, so they may update shared instruments.
    return this.#withShared(this.#local.collect(options));
  }

  /** This thread's own instruments are collected in slices; the shared ones then in one pass. */
  async collectInSlices(options?: CollectInSlicesOptions): Promise<MetricsSnapshot> {
    return this.#withShared(await this.#local.collectInSlices(options));
  }

  #withShared(local: MetricsSnapshot): MetricsSnapshot {
    const families: MetricFamilySnapshot[] = [];
    for (const entry of this.#entries.values()) families.push(sharedFamilySnapshot(entry.family));
    families.push(...local.families);
    return Object.freeze({ timestamp: local.timestamp, families: Object.freeze(families) });
  }

  history(name: string, query: HistoryQuery): MetricHistory {
    if (this.#entries.has(name)) {
      throw new MetricsError(
        'HISTORY_QUERY_INVALID',
        `Metric "${name}" is shared across threads and keeps no history: retention is per thread`,
      );
    }
    return this.#local.history(name, query);
  }

  sample(): void {
    this.#local.sample();
  }

  beforeCollect(hook: () => void): () => void {
    return this.#local.beforeCollect(hook);
  }

  /** A shared instrument stays (other threads use it): false. Others are removed as usual. */
  unregister(name: string): boolean {
    return this.#entries.has(name) ? false : this.#local.unregister(name);
  }

  has(name: string): boolean {
    return this.#entries.has(name) || this.#local.has(name);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of this.#entries.values()) entry.family.detach();
    Atomics.store(this.#owners, this.lane, 0);
  }

  /** The shared instrument of this name, checked against `options`; undefined for a local name. */
  #shared(type: MetricType, options: unknown): unknown {
    const name =
      typeof options === 'object' && options !== null ? (options as { name?: unknown }).name : undefined;
    const entry = typeof name === 'string' ? this.#entries.get(name) : undefined;
    if (entry === undefined) {
      const config = parseInstrumentOptions(type, options, {
        seriesLimit: this.handle.defaultSeriesLimit,
        idleTtlMs: Number.POSITIVE_INFINITY,
      });
      for (const reserved of reservedNames(type, config.name)) {
        const owner = this.#reserved.get(reserved);
        if (owner !== undefined) {
          throw new MetricsError(
            'METRIC_CONFLICT',
            `${type} "${config.name}" clashes with shared ${(this.#entries.get(owner) as SharedEntry).config.type} "${owner}": both would expose "${reserved}" in a scrape`,
          );
        }
      }
      return undefined;
    }
    // Omitted seriesLimit and buckets mean the declared ones; what is given must match.
    const declared = entry.config;
    const config = parseInstrumentOptions(
      type,
      type === 'histogram' &&
        declared.type === 'histogram' &&
        (options as { buckets?: unknown }).buckets === undefined
        ? { ...(options as object), buckets: declared.buckets }
        : options,
      { seriesLimit: declared.seriesLimit, idleTtlMs: Number.POSITIVE_INFINITY },
    );
    const difference = shapeDifference(entry.config, config);
    if (difference !== undefined) {
      throw new MetricsError(
        'METRIC_CONFLICT',
        `Metric "${entry.config.name}" is declared in the shared registry and ${difference}. Use the declared options.`,
      );
    }
    return entry.instrument;
  }
}

function claimLane(owners: Int32Array): number {
  for (let lane = 0; lane < owners.length; lane++) {
    if (Atomics.compareExchange(owners, lane, 0, 1) === 0) return lane;
  }
  throw new MetricsError(
    'SHARED_REGISTRY_FULL',
    `All ${owners.length} lanes of the shared registry are held: raise maxThreads, or call close() in threads that are done`,
  );
}

/**
 * Makes a registry shared by memory across `worker_threads`, and attaches this thread to it.
 * Pass `registry.handle` to each worker, which calls {@link attachSharedRegistry}.
 *
 * @throws MetricsError `REGISTRY_OPTIONS_INVALID`, `METRIC_OPTIONS_INVALID` or `METRIC_CONFLICT`.
 *
 * @example
 * ```ts
 * import { Worker } from 'node:worker_threads';
 * import { createSharedRegistry } from '@tasker/metrics-native';
 *
 * const registry = createSharedRegistry({
 *   instruments: [{ type: 'counter', name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'] }],
 * });
 * new Worker('./worker.js', { workerData: { metrics: registry.handle } });
 * // worker.js: attachSharedRegistry(workerData.metrics).counter({ name: 'jobs_total', ... }).inc({ queue: 'a' })
 * registry.collect(); // every thread's jobs_total
 * ```
 */
export function createSharedRegistry(options: SharedRegistryOptions): SharedRegistry {
  const config = parseSharedRegistryOptions(options);
  const layout = sharedLayout(config.configs, config.maxThreads, config.labelCharsPerSeries);
  const buffer = new SharedArrayBuffer(layout.byteLength);
  const now = config.now();
  config.configs.forEach((c, index) => {
    if (c.labelNames.length > 0) return;
    // An unlabelled instrument's one series exists from the start.
    const region = layout.region(buffer, index);
    region.created[0] = now;
    Atomics.store(region.published, 0, 1);
  });
  const handle: SharedRegistryHandle = Object.freeze({
    kind: 'tasker.shared-registry',
    version: 1,
    buffer,
    instruments: config.instruments,
    maxThreads: config.maxThreads,
    labelCharsPerSeries: config.labelCharsPerSeries,
    defaultSeriesLimit: config.defaultSeriesLimit,
  });
  return new SharedMetricsRegistry(handle, config.configs, layout, config);
}

/**
 * Attaches this thread to a shared registry made in another thread, from the `handle` it
 * passed. The thread takes a lane of its own; {@link SharedRegistry.close} gives it back.
 *
 * @throws MetricsError `REGISTRY_OPTIONS_INVALID` for something that is not a handle,
 * `SHARED_REGISTRY_FULL` when `maxThreads` threads are attached already.
 */
export function attachSharedRegistry(
  handle: SharedRegistryHandle,
  options?: AttachSharedRegistryOptions,
): SharedRegistry {
  const thread = parseAttachOptions(options);
  const h = handle as Partial<SharedRegistryHandle> | null;
  if (
    typeof h !== 'object' ||
    h === null ||
    h.kind !== 'tasker.shared-registry' ||
    h.version !== 1 ||
    !(h.buffer instanceof SharedArrayBuffer) ||
    !Array.isArray(h.instruments)
  ) {
    throw new MetricsError(
      'REGISTRY_OPTIONS_INVALID',
      `attachSharedRegistry: expected the handle of a shared registry (registry.handle), received ${showValue(handle)}`,
    );
  }
  const configs = configsOfHandle(handle);
  const layout = sharedLayout(configs, handle.maxThreads, handle.labelCharsPerSeries);
  if (layout.byteLength !== handle.buffer.byteLength) {
    throw new MetricsError(
      'REGISTRY_OPTIONS_INVALID',
      `attachSharedRegistry: the handle's buffer holds ${handle.buffer.byteLength} bytes, its instruments need ${layout.byteLength}; it was not made by this version of createSharedRegistry`,
    );
  }
  return new SharedMetricsRegistry(handle, configs, layout, thread);
}
