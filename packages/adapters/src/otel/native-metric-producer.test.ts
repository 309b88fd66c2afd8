import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createRegistry, type Registry } from '@tasker/metrics-native';
import { describe, expect, it } from 'vitest';
import { InMemoryMetricReader } from '../../test/support/metric-reader';
import { createNativeMetricProducer } from './native-metric-producer';

describe('createNativeMetricProducer', () => {
  it('hands a reader only the families that pass include, and none without series', async () => {
    const registry = createRegistry();
    registry.counter({ name: 'kept_total', help: 'Kept.' }).inc(3);
    registry.counter({ name: 'skipped_total', help: 'Skipped.' }).inc();
    registry.gauge({ name: 'idle', help: 'No series yet.', labelNames: ['k'] });
    const reader = new InMemoryMetricReader([
      createNativeMetricProducer({ registry, include: (name) => name !== 'skipped_total' }),
    ]);
    new MeterProvider({ readers: [reader] });
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === '@tasker/metrics-native');
    expect(scope?.metrics.map((m) => [m.descriptor.name, m.dataPoints.map((p) => p.value)])).toEqual([
      ['kept', [3]],
    ]);
  });

  it('never throws: a registry that fails to collect yields the error and no metrics', async () => {
    const broken = {
      collect() {
        throw new Error('collect hook exploded');
      },
    } as unknown as Registry;
    const result = await createNativeMetricProducer({ registry: broken }).collect();
    expect(result.resourceMetrics.scopeMetrics).toEqual([]);
    expect(result.errors.map(String)).toEqual(['Error: collect hook exploded']);
  });

  it('rejects bad options, naming the field', () => {
    expect(() => createNativeMetricProducer({ registry: {} as Registry })).toThrow(
      /registry: expected a @tasker\/metrics-native registry/,
    );
    expect(() => createNativeMetricProducer({ registry: createRegistry(), scope: { name: '' } })).toThrow(
      /scope\.name: expected a non-empty scope name/,
    );
  });
});
