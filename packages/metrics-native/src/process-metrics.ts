import { constants, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { z } from 'zod';
import { MetricsError } from './errors';
import type { HistogramHandle } from './histogram';
import type { Registry } from './registry';
import { describeIssues, showValue } from './validation-message';

/** Options of {@link startProcessMetrics}. Every field is optional. */
export interface ProcessMetricsOptions {
  /** Put before every metric name, e.g. `myapp_`. Default: none. */
  readonly prefix?: string;
  /** How often the event-loop delay monitor samples, in milliseconds. Default: 10. */
  readonly eventLoopResolutionMs?: number;
  /** Buckets of `nodejs_gc_duration_seconds`. Default: `[0.001, 0.01, 0.1, 1, 2, 5]`. */
  readonly gcBuckets?: readonly number[];
}

/** Running process metrics. */
export interface ProcessMetrics {
  /** The names of the metrics it registered. */
  readonly names: readonly string[];
  /**
   * Disables the event-loop delay monitor, disconnects the GC observer, removes the collect
   * hook and unregisters the metrics. Calling it again does nothing.
   */
  stop(): void;
}

/** The default buckets of `nodejs_gc_duration_seconds`, in seconds. */
export const DEFAULT_GC_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5]);

const GC_KINDS: ReadonlyMap<number, string> = new Map([
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

const EVENT_LOOP_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

const optionsSchema = z.strictObject(
  {
    prefix: z
      .string({ error: (i) => `expected a string, received ${showValue(i.input)}` })
      .regex(/^([a-zA-Z_][a-zA-Z0-9_]*)?$/, {
        error: (i) =>
          `expected letters, digits and "_", not starting with a digit, received ${showValue(i.input)}`,
      })
      .optional(),
    eventLoopResolutionMs: z
      .number({ error: (i) => `expected a positive integer, received ${showValue(i.input)}` })
      .int({ error: (i) => `expected a positive integer, received ${showValue(i.input)}` })
      .positive({ error: (i) => `expected a positive integer, received ${showValue(i.input)}` })
      .optional(),
    gcBuckets: z.array(z.number()).optional(),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? undefined
        : `expected an options object, received ${showValue(i.input)}`,
  },
);

/**
 * Registers the default process metrics on `registry` and keeps them current: CPU time, memory,
 * event-loop delay (from `perf_hooks.monitorEventLoopDelay`, reset at each collect) and GC
 * pauses (from a `PerformanceObserver`). Values are read at collect time, so no timer of this
 * package runs between scrapes. Opt-in: nothing is registered until this is called.
 *
 * @throws MetricsError `PROCESS_METRICS_RUNNING` when the registry already has them,
 * `REGISTRY_OPTIONS_INVALID` for bad options.
 *
 * @example
 * ```ts
 * const processMetrics = startProcessMetrics(registry);
 * // … on shutdown:
 * processMetrics.stop();
 * ```
 */
export function startProcessMetrics(registry: Registry, options?: ProcessMetricsOptions): ProcessMetrics {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    throw new MetricsError(
      'REGISTRY_OPTIONS_INVALID',
      `Invalid process metrics options: ${describeIssues(parsed.error.issues)}`,
    );
  }
  const prefix = parsed.data.prefix ?? '';
  const first = `${prefix}process_cpu_user_seconds_total`;
  if (registry.has(first)) {
    throw new MetricsError(
      'PROCESS_METRICS_RUNNING',
      `Process metrics are already registered on this registry ("${first}" exists): stop() them first`,
    );
  }

  // Names of the metrics registered so far, to roll back if a later one fails.
  const names: string[] = [];
  const named = (name: string): string => `${prefix}${name}`;
  const track = <T extends { readonly name: string }>(instrument: T): T => {
    names.push(instrument.name);
    return instrument;
  };
  try {
    return start(registry, parsed.data, named, track, names);
  } catch (error) {
    // Bad gcBuckets, or a name taken by another metric: leave the registry as it was.
    for (const name of names) registry.unregister(name);
    throw error;
  }
}

function start(
  registry: Registry,
  options: { eventLoopResolutionMs?: number | undefined; gcBuckets?: number[] | undefined },
  named: (name: string) => string,
  track: <T extends { readonly name: string }>(instrument: T) => T,
  names: readonly string[],
): ProcessMetrics {
  const cpuUser = track(
    registry.counter({
      name: named('process_cpu_user_seconds_total'),
      help: 'User CPU time spent, in seconds.',
      unit: 'seconds',
    }),
  );
  const cpuSystem = track(
    registry.counter({
      name: named('process_cpu_system_seconds_total'),
      help: 'System CPU time spent, in seconds.',
      unit: 'seconds',
    }),
  );
  const cpuTotal = track(
    registry.counter({
      name: named('process_cpu_seconds_total'),
      help: 'User and system CPU time spent, in seconds.',
      unit: 'seconds',
    }),
  );
  const startTime = track(
    registry.gauge({
      name: named('process_start_time_seconds'),
      help: 'Start time of the process since the Unix epoch, in seconds.',
      unit: 'seconds',
    }),
  );
  const memory = {
    rss: track(
      registry.gauge({
        name: named('process_resident_memory_bytes'),
        help: 'Resident memory size, in bytes.',
        unit: 'bytes',
      }),
    ),
    heapTotal: track(
      registry.gauge({
        name: named('nodejs_heap_size_total_bytes'),
        help: 'V8 heap size, in bytes.',
        unit: 'bytes',
      }),
    ),
    heapUsed: track(
      registry.gauge({
        name: named('nodejs_heap_size_used_bytes'),
        help: 'V8 heap in use, in bytes.',
        unit: 'bytes',
      }),
    ),
    external: track(
      registry.gauge({
        name: named('nodejs_external_memory_bytes'),
        help: 'Memory of C++ objects bound to JavaScript objects (array buffers included), in bytes.',
        unit: 'bytes',
      }),
    ),
  };
  const lag = EVENT_LOOP_STATS.map((stat) =>
    track(
      registry.gauge({
        name: named(`nodejs_eventloop_lag_${stat}_seconds`),
        help: `Event-loop delay since the previous collect: ${stat}, in seconds.`,
        unit: 'seconds',
      }),
    ),
  );
  const gc = track(
    registry.histogram({
      name: named('nodejs_gc_duration_seconds'),
      help: 'Garbage collection pauses by kind, in seconds.',
      unit: 'seconds',
      labelNames: ['kind'],
      buckets: options.gcBuckets ?? DEFAULT_GC_BUCKETS,
    }),
  );

  startTime.set(Math.round(performance.timeOrigin) / 1000);

  const monitor = monitorEventLoopDelay({ resolution: options.eventLoopResolutionMs ?? 10 });
  monitor.enable();

  const byKind = new Map<number, HistogramHandle>();
  for (const [kind, label] of GC_KINDS) byKind.set(kind, gc.labels({ kind: label }));
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      const handle = kind === undefined ? undefined : byKind.get(kind);
      if (handle !== undefined) handle.observe(entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  let cpu = { user: 0, system: 0 };
  const removeHook = registry.beforeCollect(() => {
    const usage = process.cpuUsage();
    const user = (usage.user - cpu.user) / 1e6;
    const system = (usage.system - cpu.system) / 1e6;
    cpu = usage;
    cpuUser.inc(user);
    cpuSystem.inc(system);
    cpuTotal.inc(user + system);

    const mem = process.memoryUsage();
    memory.rss.set(mem.rss);
    memory.heapTotal.set(mem.heapTotal);
    memory.heapUsed.set(mem.heapUsed);
    memory.external.set(mem.external);

    // An empty monitor reports nonsense (min 9.2e18, mean NaN): keep the previous values.
    if (monitor.count > 0) {
      const values = [
        monitor.min,
        monitor.max,
        monitor.mean,
        monitor.stddev,
        monitor.percentile(50),
        monitor.percentile(90),
        monitor.percentile(99),
      ];
      for (let i = 0; i < lag.length; i++) lag[i]?.set((values[i] as number) / 1e9);
      monitor.reset();
    }
  });

  let running = true;
  return Object.freeze({
    names: Object.freeze([...names]),
    stop() {
      if (!running) return;
      running = false;
      removeHook();
      monitor.disable();
      observer.disconnect();
      for (const name of names) registry.unregister(name);
    },
  });
}
