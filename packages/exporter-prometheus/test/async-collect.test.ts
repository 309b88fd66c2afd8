import { createRegistry, type MetricsSnapshot } from '@tasker/metrics-native';
import { describe, expect, it } from 'vitest';
import { createMetricsHandler, type MetricsRegistry } from '../src/metrics-handler';

/** A registry whose collect answers later, as a cluster aggregator's does. */
function later(collect: () => Promise<MetricsSnapshot>): {
  registry: MetricsRegistry;
  real: ReturnType<typeof createRegistry>;
} {
  const real = createRegistry();
  return { registry: { collect, counter: (o) => real.counter(o) }, real };
}

describe('a registry whose collect() returns a promise', () => {
  it('is scraped once the promise resolves', async () => {
    const source = createRegistry();
    source.counter({ name: 'merged_total', help: 'h' }).inc(42);
    const { registry } = later(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return source.collect();
    });
    const response = await createMetricsHandler({ registry })(new Request('http://localhost/metrics'));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('merged_total 42\n');
  });

  it('answers 503 and counts the failure when the promise rejects', async () => {
    const { registry, real } = later(() => Promise.reject(new Error('workers gone')));
    const response = await createMetricsHandler({ registry })(new Request('http://localhost/metrics'));
    expect(response.status).toBe(503);
    expect(((await response.json()) as { detail: string }).detail).toBe('workers gone');
    const errors = real.collect().families.find((f) => f.name === 'tasker_metrics_export_errors_total');
    expect(errors?.series[0]).toMatchObject({ value: 1 });
  });
});
