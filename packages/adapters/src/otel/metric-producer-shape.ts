/**
 * The collection types of `@opentelemetry/sdk-metrics` 2.x (`MetricProducer`,
 * `CollectionResult`, `MetricData` …), by shape: what a producer hands a `MetricReader`.
 * Declared here rather than imported so that `@tasker/adapters/otel` and its declarations need
 * only `@opentelemetry/api`: a user of its traces compiles without sdk-metrics installed, even
 * with `skipLibCheck: false`. A producer of these shapes is assignable to the SDK's
 * `MetricProducer` (the package's tests pass one to a real reader, type-checked).
 */
import type { Attributes, AttributeValue, HrTime, ValueType } from '@opentelemetry/api';

/** sdk-metrics' `AggregationTemporality.CUMULATIVE`. */
export const CUMULATIVE = 1;
/** sdk-metrics' `DataPointType` values. */
export const DATA_POINT_TYPE = Object.freeze({ HISTOGRAM: 0, GAUGE: 2, SUM: 3 } as const);

/** A resource (`@opentelemetry/resources`): the reader replaces a producer's with its own. */
export interface ProducedResource {
  readonly attributes: Attributes;
  merge(other: ProducedResource | null): ProducedResource;
  getRawAttributes(): [string, AttributeValue | undefined | Promise<AttributeValue | undefined>][];
}

export interface ProducedScope {
  readonly name: string;
  readonly version?: string;
  readonly schemaUrl?: string;
}

export interface ProducedDescriptor {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly valueType: ValueType;
}

export interface ProducedDataPoint<T> {
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly attributes: Attributes;
  readonly value: T;
}

/** An explicit-bucket histogram: `counts` has one more entry than `boundaries`, not cumulative. */
export interface ProducedHistogram {
  buckets: { boundaries: number[]; counts: number[] };
  sum?: number;
  count: number;
  min?: number;
  max?: number;
}

export interface ProducedSum {
  readonly descriptor: ProducedDescriptor;
  readonly aggregationTemporality: typeof CUMULATIVE;
  readonly dataPointType: typeof DATA_POINT_TYPE.SUM;
  readonly isMonotonic: boolean;
  readonly dataPoints: ProducedDataPoint<number>[];
}

export interface ProducedGauge {
  readonly descriptor: ProducedDescriptor;
  readonly aggregationTemporality: typeof CUMULATIVE;
  readonly dataPointType: typeof DATA_POINT_TYPE.GAUGE;
  readonly dataPoints: ProducedDataPoint<number>[];
}

export interface ProducedHistogramMetric {
  readonly descriptor: ProducedDescriptor;
  readonly aggregationTemporality: typeof CUMULATIVE;
  readonly dataPointType: typeof DATA_POINT_TYPE.HISTOGRAM;
  readonly dataPoints: ProducedDataPoint<ProducedHistogram>[];
}

export type ProducedMetric = ProducedSum | ProducedGauge | ProducedHistogramMetric;

export interface ProducedCollection {
  resourceMetrics: {
    resource: ProducedResource;
    scopeMetrics: { scope: ProducedScope; metrics: ProducedMetric[] }[];
  };
  errors: unknown[];
}

/** sdk-metrics' `MetricProducer`: what its readers' `metricProducers` option takes. */
export interface MetricProducerShape {
  collect(options?: { timeoutMillis?: number }): Promise<ProducedCollection>;
}
