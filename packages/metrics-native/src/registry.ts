import { Collection } from './collection';
import { type Counter, type CounterFamily, createCounter } from './counter';
import { MetricsError } from './errors';
import { createGauge, type Gauge, type GaugeFamily } from './gauge';
import { createHistogram, type Histogram, type HistogramFamily } from './histogram';
import { type HistoryQuery, type MetricHistory, readHistory, sampleRetention } from './history';
import {
  type CounterOptions,
  type GaugeOptions,
  type HistogramOptions,
  type InstrumentConfig,
  parseInstrumentOptions,
  shapeDifference,
} from './instrument-options';
import { type MetricType, reservedNames } from './metric-name';
import { parseRegistryOptions, type RegistryConfig, type RegistryOptions } from './registry-options';
import { SELF_METRIC_NAMES } from './self-metrics';
import { SeriesFamily } from './series-family';
import { type CollectInSlicesOptions, type CollectOptions, parseSliceOptions } from './slice-options';
import type { MetricsSnapshot } from './snapshot';
import { showValue } from './validation-message';

/**
 * Holds instruments and takes snapshots of them. Made by {@link createRegistry}; there is no
 * global registry, and an instrument belongs to the registry that made it.
 */
export interface Registry {
  /**
   * Makes (or returns) a counter. Its name ends in `_total`.
   *
   * @throws MetricsError `METRIC_OPTIONS_INVALID` for bad options, `METRIC_CONFLICT` when the
   * name is taken by an instrument of another shape or clashes with another's sample names.
   */
  counter<const L extends string = never>(options: CounterOptions<L>): Counter<L>;
  /** Makes (or returns) a gauge. Throws like {@link Registry.counter}. */
  gauge<const L extends string = never>(options: GaugeOptions<L>): Gauge<L>;
  /** Makes (or returns) a histogram. Throws like {@link Registry.counter}. */
  histogram<const L extends string = never>(options: HistogramOptions<L>): Histogram<L>;
  /**
   * Runs the collect hooks and gauge callbacks, evicts idle series, samples retention, and
   * returns a frozen snapshot of every instrument. With `selfMetrics: true`, the snapshot ends
   * with the registry's own counters (folded updates, evicted series, dropped updates per
   * instrument; see the README). Never throws.
   */
  collect(options?: CollectOptions): MetricsSnapshot;
  /**
   * The same collect, in slices of at most about `sliceMs` that yield to the event loop between
   * them, so that a registry of hundreds of thousands of series never blocks the process for a
   * whole collect. Values that change while it runs follow the rule in the README ("Collecting
   * in slices"): each series is read once, at its turn; series created after the collect
   * started wait for the next one. Rejects only for bad options.
   *
   * @example
   * ```ts
   * const snapshot = await registry.collectInSlices({ sliceMs: 8 });
   * ```
   */
  collectInSlices(options?: CollectInSlicesOptions): Promise<MetricsSnapshot>;
  /**
   * Rolled-up history of an instrument made with `retention`.
   *
   * @throws MetricsError `METRIC_NOT_FOUND`, or `HISTORY_QUERY_INVALID` for a bad query or an
   * instrument without retention.
   */
  history(name: string, query: HistoryQuery): MetricHistory;
  /** Samples retention now, for processes that collect rarely (collect and history also sample). */
  sample(): void;
  /** Adds a hook that runs at the start of each collect. Returns a function that removes it. */
  beforeCollect(hook: () => void): () => void;
  /** Removes an instrument; its name becomes free. */
  unregister(name: string): boolean;
  /** True when an instrument of this name is registered. */
  has(name: string): boolean;
}

interface Entry {
  readonly config: InstrumentConfig;
  readonly family: SeriesFamily;
  readonly instrument: unknown;
  readonly reserved: readonly string[];
  /** Registration number, never reused: the self-metrics' series identity. */
  readonly id: number;
  readonly created: number;
}

/** The owner of the self-metric names in `#reserved`. */
const SELF = Symbol('self-metrics');

class MetricsRegistry implements Registry {
  readonly #config: RegistryConfig;
  readonly #entries = new Map<string, Entry>();
  /** Family and sample names → the metric that takes them (or the self-metrics). */
  readonly #reserved = new Map<string, string | typeof SELF>();
  #registrations = 0;
  readonly #hooks = new Set<() => void>();
  readonly #warnedHooks = new WeakSet<() => void>();

  constructor(config: RegistryConfig) {
    this.#config = config;
    // Reserved whether or not a collect asks for them, so that asking never meets a clash.
    for (const name of SELF_METRIC_NAMES) {
      for (const sample of reservedNames('counter', name)) this.#reserved.set(sample, SELF);
    }
  }

  counter<const L extends string = never>(options: CounterOptions<L>): Counter<L> {
    return this.#register('counter', options, (family) =>
      createCounter<L>(family as CounterFamily),
    ) as Counter<L>;
  }

  gauge<const L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    return this.#register('gauge', options, (family) => createGauge<L>(family as GaugeFamily)) as Gauge<L>;
  }

  histogram<const L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.#register('histogram', options, (family) =>
      createHistogram<L>(family as HistogramFamily),
    ) as Histogram<L>;
  }

  collect(options?: CollectOptions): MetricsSnapshot {
    const collection = this.#startCollection(options?.selfMetrics === true);
    collection.step(Number.POSITIVE_INFINITY);
    return collection.snapshot();
  }

  async collectInSlices(options?: CollectInSlicesOptions): Promise<MetricsSnapshot> {
    const { sliceMs, onSlice, selfMetrics } = parseSliceOptions(options);
    let start = performance.now();
    const collection = this.#startCollection(selfMetrics);
    for (;;) {
      let elapsed = 0;
      do {
        collection.step(SERIES_PER_CLOCK_CHECK);
        elapsed = performance.now() - start;
      } while (!collection.done && elapsed < sliceMs);
      onSlice?.(elapsed);
      if (collection.done) return collection.snapshot();
      await new Promise<void>((resolve) => setImmediate(resolve));
      start = performance.now();
    }
  }

  /** Runs the hooks and gauge callbacks, reads the clock, and starts a collection. */
  #startCollection(selfMetrics: boolean): Collection {
    for (const hook of [...this.#hooks]) {
      try {
        hook();
      } catch (error) {
        if (!this.#warnedHooks.has(hook)) {
          this.#warnedHooks.add(hook);
          this.#config.warn(
            `A collect hook threw (it keeps running on each collect): ${describeError(error)}`,
          );
        }
      }
    }
    const families: SeriesFamily[] = [];
    for (const entry of this.#entries.values()) {
      this.#runCallback(entry);
      families.push(entry.family);
    }
    // One clock read for the whole collect, after the callbacks.
    const now = this.#config.now();
    return new Collection(families, now, selfMetrics ? [...this.#entries.values()] : undefined);
  }

  history(name: string, query: HistoryQuery): MetricHistory {
    const entry = this.#entries.get(name);
    if (entry === undefined) {
      throw new MetricsError('METRIC_NOT_FOUND', `No metric named ${showValue(name)} in this registry`);
    }
    return readHistory(entry.family, query, this.#config.now());
  }

  sample(): void {
    const now = this.#config.now();
    for (const entry of this.#entries.values()) sampleRetention(entry.family, now);
  }

  beforeCollect(hook: () => void): () => void {
    if (typeof hook !== 'function') {
      throw new MetricsError(
        'REGISTRY_OPTIONS_INVALID',
        `beforeCollect: expected a function, received ${showValue(hook)}`,
      );
    }
    this.#hooks.add(hook);
    return () => {
      this.#hooks.delete(hook);
    };
  }

  unregister(name: string): boolean {
    const entry = this.#entries.get(name);
    if (entry === undefined) return false;
    this.#entries.delete(name);
    for (const reserved of entry.reserved) this.#reserved.delete(reserved);
    return true;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  #register(type: MetricType, options: unknown, make: (family: SeriesFamily) => unknown): unknown {
    const config = parseInstrumentOptions(type, options, {
      seriesLimit: this.#config.defaultSeriesLimit,
      idleTtlMs: this.#config.idleTtlMs,
    });
    const existing = this.#entries.get(config.name);
    if (existing !== undefined) {
      const difference = shapeDifference(existing.config, config);
      if (difference !== undefined) {
        throw new MetricsError(
          'METRIC_CONFLICT',
          `Metric "${config.name}" is already registered and ${difference}. Register it once with one shape, or use another name.`,
        );
      }
      return existing.instrument;
    }
    const reserved = reservedNames(type, config.name);
    for (const name of reserved) {
      const owner = this.#reserved.get(name);
      if (owner === SELF) {
        throw new MetricsError(
          'METRIC_CONFLICT',
          `${type} "${config.name}" clashes with the registry's self-metrics, which expose "${name}". Use another name.`,
        );
      }
      if (owner !== undefined) {
        const ownerType = (this.#entries.get(owner) as Entry).config.type;
        throw new MetricsError(
          'METRIC_CONFLICT',
          `${type} "${config.name}" clashes with ${ownerType} "${owner}": both would expose "${name}" in a scrape`,
        );
      }
    }
    const family = new SeriesFamily(config, {
      now: this.#config.now,
      warn: this.#config.warn,
      compileLookups: this.#config.compileLabelLookups,
    });
    const instrument = make(family);
    this.#entries.set(config.name, {
      config,
      family,
      instrument,
      reserved,
      id: this.#registrations++,
      created: this.#config.now(),
    });
    for (const name of reserved) this.#reserved.set(name, config.name);
    return instrument;
  }

  #runCallback(entry: Entry): void {
    const callback = entry.config.collect as ((instrument: unknown) => void) | undefined;
    if (callback === undefined) return;
    try {
      callback(entry.instrument);
    } catch (error) {
      entry.family.counts.collectErrors++;
      entry.family.warnOnce(
        'collect',
        `gauge "${entry.config.name}": its collect callback threw (counted in the snapshot as collectErrors): ${describeError(error)}`,
      );
    }
  }
}

/** Series collected between two clock reads of a sliced collect. */
const SERIES_PER_CLOCK_CHECK = 128;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Makes a registry. There is no global one: pass it to whatever records or exports metrics.
 *
 * @throws MetricsError `REGISTRY_OPTIONS_INVALID`, naming each bad field.
 *
 * @example
 * ```ts
 * import { createRegistry } from '@tasker/metrics-native';
 *
 * const registry = createRegistry({ defaultSeriesLimit: 500, idleTtlMs: 15 * 60_000 });
 * const requests = registry.counter({
 *   name: 'http_requests_total',
 *   help: 'HTTP requests served.',
 *   labelNames: ['method', 'status'],
 * });
 * requests.inc({ method: 'GET', status: '200' });
 * const ok = requests.labels({ method: 'GET', status: '200' }); // bound: no lookup per call
 * ok.inc();
 * registry.collect().families[0]; // { name: 'http_requests_total', type: 'counter', series: [...] }
 * ```
 */
export function createRegistry(options?: RegistryOptions): Registry {
  return new MetricsRegistry(parseRegistryOptions(options));
}
