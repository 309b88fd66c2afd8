/**
 * Hands a `@tasker/metrics-native` registry to any `@opentelemetry/sdk-metrics` 2.x reader as
 * the SDK's own aggregated data, through the reader's `metricProducers` option. Unlike the
 * meter bridge (whose observable instruments cannot carry a histogram), each family keeps its
 * kind:
 *
 * | native family     | OpenTelemetry metric                     | data point                                   |
 * | ----------------- | ---------------------------------------- | -------------------------------------------- |
 * | counter `x_total` | `x`, monotonic cumulative sum             | the counter's value                          |
 * | gauge `x`         | `x`, gauge                                | the gauge's value                            |
 * | histogram `x`     | `x`, cumulative explicit-bucket histogram | bounds, per-bucket counts (last is `+Inf`), count, sum |
 *
 * Series labels become attributes. Every point is cumulative: its start time is when its series
 * was created (or re-created after an eviction, which is a reset), its end time the moment of the
 * registry's snapshot. The reader's temporality preference does not apply to producers, so a
 * reader that asks for delta still receives these points as cumulative, marked so.
 *
 * Exemplars stay behind: the sdk-metrics 2.x data point has no exemplar field and the OTLP
 * exporters (0.2xx) serialise none, so there is nowhere to put them. They remain in the
 * OpenMetrics output of `@tasker/exporter-prometheus`.
 *
 * Nothing here is imported from `@opentelemetry/sdk-metrics`, not even its types (see
 * metric-producer-shape.ts), so `@tasker/adapters/otel` still loads and compiles where only
 * `@opentelemetry/api` is installed.
 */
import { type HrTime, ValueType } from '@opentelemetry/api';
import type { MetricFamilySnapshot, Registry } from '@tasker/metrics-native';
import { z } from 'zod';
import { parseOptions } from '../shared/parse-options';
import {
  CUMULATIVE,
  DATA_POINT_TYPE,
  type MetricProducerShape,
  type ProducedCollection,
  type ProducedDataPoint,
  type ProducedDescriptor,
  type ProducedHistogram,
  type ProducedMetric,
  type ProducedResource,
  type ProducedScope,
} from './metric-producer-shape';

/** The instrumentation scope the producer's metrics are reported under. */
export interface NativeMetricScope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

/** Options of {@link createNativeMetricProducer}. */
export interface NativeMetricProducerOptions {
  /** The registry to export. */
  readonly registry: Registry;
  /** Only families whose (native) name passes. Default: all. */
  readonly include?: (name: string) => boolean;
  /** Default `{ name: '@tasker/metrics-native' }`. */
  readonly scope?: NativeMetricScope;
}

const isFunction = (v: unknown) => typeof v === 'function';

const schema = z
  .object({
    registry: z.custom<Registry>(
      (v) => typeof v === 'object' && v !== null && isFunction((v as Registry).collect),
      'expected a @tasker/metrics-native registry (createRegistry())',
    ),
    include: z.custom<(name: string) => boolean>(isFunction, 'expected a function').optional(),
    scope: z
      .object({
        name: z.string().min(1, 'expected a non-empty scope name'),
        version: z.string().optional(),
        schemaUrl: z.string().optional(),
      })
      .strict()
      .default({ name: '@tasker/metrics-native' }),
  })
  .strict();

/**
 * A resource with no attributes. The reader replaces a producer's resource with its meter
 * provider's, so this one is never exported; it is only what the type asks for.
 */
const NO_RESOURCE: ProducedResource = Object.freeze({
  attributes: Object.freeze({}),
  merge: (other: ProducedResource | null): ProducedResource => other ?? NO_RESOURCE,
  getRawAttributes: () => [],
});

/** Prometheus unit suffixes with a UCUM spelling, as OpenTelemetry units are written. */
const UCUM: Readonly<Record<string, string>> = {
  seconds: 's',
  milliseconds: 'ms',
  microseconds: 'us',
  nanoseconds: 'ns',
  bytes: 'By',
  ratio: '1',
  percent: '%',
};

function hrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}

function descriptor(family: MetricFamilySnapshot, name: string): ProducedDescriptor {
  const unit = family.unit === undefined ? '' : (UCUM[family.unit] ?? family.unit);
  return { name, description: family.help, unit, valueType: ValueType.DOUBLE };
}

/** One family as OpenTelemetry metric data; undefined when it has no series. */
function metricOf(family: MetricFamilySnapshot, end: HrTime): ProducedMetric | undefined {
  if (family.series.length === 0) return undefined;
  if (family.type === 'counter') {
    const dataPoints: ProducedDataPoint<number>[] = family.series.map((s) => ({
      startTime: hrTime(s.created),
      endTime: end,
      attributes: s.labels,
      value: s.value,
    }));
    return {
      descriptor: descriptor(family, family.name.slice(0, -'_total'.length)),
      aggregationTemporality: CUMULATIVE,
      dataPointType: DATA_POINT_TYPE.SUM,
      isMonotonic: true,
      dataPoints,
    };
  }
  if (family.type === 'gauge') {
    const dataPoints: ProducedDataPoint<number>[] = family.series.map((s) => ({
      startTime: hrTime(s.created),
      endTime: end,
      attributes: s.labels,
      value: s.value,
    }));
    return {
      descriptor: descriptor(family, family.name),
      aggregationTemporality: CUMULATIVE,
      dataPointType: DATA_POINT_TYPE.GAUGE,
      dataPoints,
    };
  }
  const boundaries = [...family.buckets];
  const dataPoints: ProducedDataPoint<ProducedHistogram>[] = family.series.map((s) => {
    // The snapshot's counts are cumulative (Prometheus `le`); OpenTelemetry counts each bucket
    // on its own: (bounds[i-1], bounds[i]], the last one above every bound.
    const counts = new Array<number>(s.counts.length);
    let below = 0;
    for (let i = 0; i < s.counts.length; i++) {
      const upTo = s.counts[i] as number;
      counts[i] = upTo - below;
      below = upTo;
    }
    return {
      startTime: hrTime(s.created),
      endTime: end,
      attributes: s.labels,
      value: { buckets: { boundaries, counts }, sum: s.sum, count: s.count },
    };
  });
  return {
    descriptor: descriptor(family, family.name),
    aggregationTemporality: CUMULATIVE,
    dataPointType: DATA_POINT_TYPE.HISTOGRAM,
    dataPoints,
  };
}

/**
 * A `MetricProducer` for the `metricProducers` option of any sdk-metrics 2.x `MetricReader`
 * (a `PeriodicExportingMetricReader` with an OTLP exporter, a Prometheus exporter, …): each
 * collection takes one snapshot of the registry and hands its counters, gauges and histograms
 * to the reader as cumulative sums, gauges and explicit-bucket histograms. A registry that
 * throws on collect yields no metrics and the error, which the reader reports; it never throws.
 *
 * @example
 * ```ts
 * import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 * import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
 * import { createNativeMetricProducer } from '@tasker/adapters/otel';
 *
 * const reader = new PeriodicExportingMetricReader({
 *   exporter: new OTLPMetricExporter(),
 *   metricProducers: [createNativeMetricProducer({ registry })],
 * });
 * const meterProvider = new MeterProvider({ readers: [reader] });
 * ```
 */
export function createNativeMetricProducer(options: NativeMetricProducerOptions): MetricProducerShape {
  const o = parseOptions('createNativeMetricProducer', schema, options);
  const { registry, include } = o;
  const scope: ProducedScope = Object.freeze({ ...o.scope });
  return {
    async collect(): Promise<ProducedCollection> {
      const metrics: ProducedMetric[] = [];
      try {
        const snapshot = registry.collect();
        const end = hrTime(snapshot.timestamp);
        for (const family of snapshot.families) {
          if (include !== undefined && !include(family.name)) continue;
          const metric = metricOf(family, end);
          if (metric !== undefined) metrics.push(metric);
        }
      } catch (error) {
        return { resourceMetrics: { resource: NO_RESOURCE, scopeMetrics: [] }, errors: [error] };
      }
      return {
        resourceMetrics: { resource: NO_RESOURCE, scopeMetrics: [{ scope, metrics }] },
        errors: [],
      };
    },
  };
}
