/**
 * Exposes a `@tasker/metrics-native` registry through an existing prom-client registry, so an
 * application keeps its `/metrics` (`await promRegistry.metrics()`) and gains the native metrics.
 *
 * Each native family becomes one metric object registered in the prom-client registry. A
 * scrape takes one snapshot of the native registry (shared by every family's `get()` during
 * the same turn of the event loop) and returns its values in prom-client's shape: counters and
 * gauges as values with labels, histograms as `_bucket` (with `le`), `_sum` and `_count`.
 * Families registered in the native registry later join from the next scrape on, and the
 * gauge `tasker_native_bridge_families` (always there) says how many are bridged.
 */
import type { MetricFamilySnapshot, MetricsSnapshot, Registry } from '@tasker/metrics-native';
import type {
  MetricValue,
  MetricValueWithName,
  Registry as PromRegistry,
  RegistryContentType,
} from 'prom-client';
import { z } from 'zod';
import { parseOptions } from '../shared/parse-options';

/** Options of {@link bridgeMetricsToPromClient}. */
export interface PromClientBridgeOptions {
  /** The native registry to expose. */
  readonly registry: Registry;
  /** The prom-client registry that serves your `/metrics`. */
  readonly promRegistry: PromRegistry<RegistryContentType>;
  /** Only families whose name passes. Default: all. */
  readonly include?: (name: string) => boolean;
}

/** A running bridge. */
export interface PromClientBridge {
  /** Names registered in the prom-client registry so far. */
  metrics(): string[];
  /** Removes the bridged metrics from the prom-client registry. */
  close(): void;
}

/** The gauge the bridge always registers: how many native families it bridges. */
export const PROM_BRIDGE_GAUGE = 'tasker_native_bridge_families';

const schema = z
  .object({
    registry: z.custom<Registry>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Registry).collect === 'function',
      'expected a @tasker/metrics-native registry (createRegistry())',
    ),
    promRegistry: z.custom<PromRegistry<RegistryContentType>>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as PromRegistry<RegistryContentType>).registerMetric === 'function',
      'expected a prom-client Registry',
    ),
    include: z
      .custom<(name: string) => boolean>((v) => typeof v === 'function', 'expected a function')
      .optional(),
  })
  .strict();

type Values = (MetricValue<string> | MetricValueWithName<string>)[];

function values(family: MetricFamilySnapshot): Values {
  if (family.type !== 'histogram')
    return family.series.map((s) => ({ value: s.value, labels: { ...s.labels } }));
  const out: Values = [];
  const bounds = [...family.buckets.map(String), '+Inf'];
  for (const s of family.series) {
    for (let i = 0; i < s.counts.length; i++) {
      out.push({
        metricName: `${family.name}_bucket`,
        value: s.counts[i] as number,
        labels: { ...s.labels, le: bounds[i] as string },
      });
    }
    out.push({ metricName: `${family.name}_sum`, value: s.sum, labels: { ...s.labels } });
    out.push({ metricName: `${family.name}_count`, value: s.count, labels: { ...s.labels } });
  }
  return out;
}

/**
 * Bridges a native registry into a prom-client registry.
 *
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * import { bridgeMetricsToPromClient } from '@tasker/adapters/prom-client';
 *
 * bridgeMetricsToPromClient({ registry: nativeRegistry, promRegistry: register });
 * // your existing app.get('/metrics', … register.metrics()) now includes the native metrics
 * ```
 */
export function bridgeMetricsToPromClient(options: PromClientBridgeOptions): PromClientBridge {
  const o = parseOptions('bridgeMetricsToPromClient', schema, options);
  const { registry, promRegistry } = o;
  const include = o.include ?? (() => true);
  const openMetrics = promRegistry.contentType.startsWith('application/openmetrics-text');
  const bridged = new Map<string, string>(); // native family name → prom-client metric name
  let snapshot: MetricsSnapshot | undefined;

  // One collect per scrape: prom-client calls every metric's get() in one run of awaits.
  const current = (): MetricsSnapshot => {
    if (snapshot === undefined) {
      snapshot = registry.collect();
      setImmediate(() => {
        snapshot = undefined;
      });
      sync(snapshot);
    }
    return snapshot;
  };

  const register = (family: MetricFamilySnapshot): void => {
    // prom-client adds `_total` to counters in OpenMetrics output.
    const name = openMetrics && family.type === 'counter' ? family.name.replace(/_total$/, '') : family.name;
    const metric = {
      name,
      help: family.help,
      type: family.type,
      aggregator: 'sum' as const,
      get: async () => {
        const f = current().families.find((x) => x.name === family.name);
        return {
          name,
          help: family.help,
          type: family.type,
          aggregator: 'sum',
          values: f === undefined ? [] : values(f),
        };
      },
      reset: () => {},
    };
    promRegistry.registerMetric(metric as never);
    bridged.set(family.name, name);
  };

  function sync(s: MetricsSnapshot): void {
    for (const family of s.families) if (!bridged.has(family.name) && include(family.name)) register(family);
  }

  promRegistry.registerMetric({
    name: PROM_BRIDGE_GAUGE,
    help: 'Families of the native registry bridged to this registry.',
    type: 'gauge',
    aggregator: 'sum',
    get: async () => {
      current();
      return {
        name: PROM_BRIDGE_GAUGE,
        help: 'Families of the native registry bridged to this registry.',
        type: 'gauge',
        aggregator: 'sum',
        values: [{ value: bridged.size, labels: {} }],
      };
    },
    reset: () => {},
  } as never);
  sync(registry.collect());

  return {
    metrics: () => [PROM_BRIDGE_GAUGE, ...bridged.values()],
    close() {
      for (const name of bridged.values()) promRegistry.removeSingleMetric(name);
      promRegistry.removeSingleMetric(PROM_BRIDGE_GAUGE);
      bridged.clear();
    },
  };
}
