/**
 * Exposes a `@tasker/metrics-native` registry through an OpenTelemetry `Meter`, as observable
 * instruments, for pipelines that export OTLP. One batch callback per collection takes one
 * snapshot of the registry and observes every series:
 *
 * - a counter `x_total` → an `ObservableCounter` named `x` (OpenTelemetry names carry no
 *   `_total`; a Prometheus exporter adds it back), the cumulative value;
 * - a gauge → an `ObservableGauge`;
 * - a histogram `x` → `ObservableCounter`s `x.count`, `x.sum` and `x.bucket` (cumulative counts
 *   with the attribute `le`): the OpenTelemetry API has no observable histogram.
 *
 * Series labels become attributes. Instruments registered in the registry later are bridged
 * from the collection after the one that first sees them. Exemplars are not carried.
 *
 * To export real histograms (OTLP histogram points with their buckets), give the reader
 * `createNativeMetricProducer` (native-metric-producer.ts) instead: sdk-metrics 2.x only.
 */
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { MetricFamilySnapshot, Registry } from '@tasker/metrics-native';
import { z } from 'zod';
import { parseOptions } from '../shared/parse-options';

/** Options of {@link bridgeMetricsToMeter}. */
export interface MeterBridgeOptions {
  readonly registry: Registry;
  readonly meter: Meter;
  /** Only families whose name passes. Default: all. */
  readonly include?: (name: string) => boolean;
}

/** A running bridge. */
export interface MeterBridge {
  /** Instruments bridged so far (OpenTelemetry names). */
  instruments(): string[];
  /** Stops observing the registry. */
  close(): void;
}

interface Bridged {
  readonly names: readonly string[];
  readonly observe: (family: MetricFamilySnapshot, result: BatchObservableResult) => void;
  readonly observables: Observable[];
}

const schema = z
  .object({
    registry: z.custom<Registry>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Registry).collect === 'function',
      'expected a @tasker/metrics-native registry (createRegistry())',
    ),
    meter: z.custom<Meter>(
      (v) =>
        typeof v === 'object' && v !== null && typeof (v as Meter).addBatchObservableCallback === 'function',
      'expected an OpenTelemetry Meter (meterProvider.getMeter(name))',
    ),
    include: z
      .custom<(name: string) => boolean>((v) => typeof v === 'function', 'expected a function')
      .optional(),
  })
  .strict();

/** The gauge the bridge always observes: how many families it bridges. */
export const BRIDGE_GAUGE = 'tasker.native_bridge.families';

function bridge(meter: Meter, family: MetricFamilySnapshot): Bridged {
  const options = { description: family.help, ...(family.unit === undefined ? {} : { unit: family.unit }) };
  if (family.type === 'counter') {
    const name = family.name.endsWith('_total') ? family.name.slice(0, -'_total'.length) : family.name;
    const counter = meter.createObservableCounter(name, options);
    return {
      names: [name],
      observables: [counter],
      observe: (f, result) => {
        if (f.type === 'counter') for (const s of f.series) result.observe(counter, s.value, s.labels);
      },
    };
  }
  if (family.type === 'gauge') {
    const gauge = meter.createObservableGauge(family.name, options);
    return {
      names: [family.name],
      observables: [gauge],
      observe: (f, result) => {
        if (f.type === 'gauge') for (const s of f.series) result.observe(gauge, s.value, s.labels);
      },
    };
  }
  const count = meter.createObservableCounter(`${family.name}.count`, {
    description: `${family.help} (count)`,
  });
  const sum = meter.createObservableCounter(`${family.name}.sum`, options);
  const bucket = meter.createObservableCounter(`${family.name}.bucket`, {
    description: `${family.help} (cumulative count per upper bound le)`,
  });
  const bounds = [...family.buckets.map(String), '+Inf'];
  return {
    names: [`${family.name}.count`, `${family.name}.sum`, `${family.name}.bucket`],
    observables: [count, sum, bucket],
    observe: (f, result) => {
      if (f.type !== 'histogram') return;
      for (const s of f.series) {
        const labels = s.labels as Attributes;
        result.observe(count, s.count, labels);
        result.observe(sum, s.sum, labels);
        for (let i = 0; i < s.counts.length; i++)
          result.observe(bucket, s.counts[i] as number, { ...labels, le: bounds[i] as string });
      }
    },
  };
}

/**
 * Bridges a native registry into an OpenTelemetry meter.
 *
 * @example
 * ```ts
 * const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter })] });
 * const bridge = bridgeMetricsToMeter({ registry, meter: meterProvider.getMeter('tasker-native') });
 * ```
 */
export function bridgeMetricsToMeter(options: MeterBridgeOptions): MeterBridge {
  const o = parseOptions('bridgeMetricsToMeter', schema, options);
  const { registry, meter } = o;
  const include = o.include ?? (() => true);
  const bridged = new Map<string, Bridged>();
  // Always observed, so that the callback runs (and finds new families) even while the
  // registry is empty.
  const families = meter.createObservableGauge(BRIDGE_GAUGE, {
    description: 'Families of the native registry bridged to this meter.',
  });
  let observables: Observable[] = [families];
  let closed = false;

  const callback = (result: BatchObservableResult): void => {
    const snapshot = registry.collect();
    result.observe(families, bridged.size);
    let grew = false;
    for (const family of snapshot.families) {
      const b = bridged.get(family.name);
      if (b !== undefined) b.observe(family, result);
      else if (include(family.name)) {
        bridged.set(family.name, bridge(meter, family));
        grew = true;
      }
    }
    // Instruments new to this snapshot are observed from the next collection on.
    if (grew) queueMicrotask(resubscribe);
  };

  const resubscribe = (): void => {
    if (closed) return;
    meter.removeBatchObservableCallback(callback, observables);
    observables = [families, ...[...bridged.values()].flatMap((b) => b.observables)];
    meter.addBatchObservableCallback(callback, observables);
  };

  for (const family of registry.collect().families) {
    if (include(family.name)) bridged.set(family.name, bridge(meter, family));
  }
  resubscribe();
  return {
    instruments: () => [BRIDGE_GAUGE, ...[...bridged.values()].flatMap((b) => b.names)],
    close() {
      if (closed) return;
      closed = true;
      meter.removeBatchObservableCallback(callback, observables);
    },
  };
}
