/**
 * A pull reader for `@opentelemetry/sdk-metrics` 2.x: `collect()` returns what the meter
 * provider holds, in memory, the way the SDK's own tests read metrics.
 */
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricProducer,
  MetricReader,
} from '@opentelemetry/sdk-metrics';

export class InMemoryMetricReader extends MetricReader {
  constructor(metricProducers: MetricProducer[] = []) {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE, metricProducers });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export function testMeter(): { provider: MeterProvider; reader: InMemoryMetricReader } {
  const reader = new InMemoryMetricReader();
  const provider = new MeterProvider({ readers: [reader] });
  return { provider, reader };
}

/** A metric's data points after one collection, by name. */
export async function collected(
  reader: InMemoryMetricReader,
): Promise<
  Map<string, { descriptor: { unit: string; type: string }; points: DataPoint<number | Histogram>[] }>
> {
  const { resourceMetrics, errors } = await reader.collect();
  if (errors.length > 0) throw new Error(`collect failed: ${errors.map(String).join('; ')}`);
  const out = new Map();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const m of scope.metrics) {
      out.set(m.descriptor.name, { descriptor: m.descriptor, points: m.dataPoints });
    }
  }
  return out;
}
