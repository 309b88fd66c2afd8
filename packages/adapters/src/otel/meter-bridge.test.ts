import type { Histogram } from '@opentelemetry/sdk-metrics';
import { createRegistry } from '@tasker/metrics-native';
import { describe, expect, it } from 'vitest';
import { collected, testMeter } from '../../test/support/metric-reader';
import { BRIDGE_GAUGE, bridgeMetricsToMeter } from './meter-bridge';

describe('bridgeMetricsToMeter (native registry → observable instruments, sdk-metrics 2.x)', () => {
  it('observes counters, gauges and histograms of the registry at each collection', async () => {
    const registry = createRegistry();
    const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] });
    const depth = registry.gauge({ name: 'queue_depth', help: 'Depth.', labelNames: ['queue'] });
    const latency = registry.histogram({
      name: 'job_seconds',
      help: 'Latency.',
      unit: 'seconds',
      buckets: [0.1, 1],
    });
    jobs.inc({ queue: 'mail' }, 3);
    depth.set({ queue: 'mail' }, 7);
    latency.observe(0.05);
    latency.observe(0.5);
    latency.observe(5);
    const { provider, reader } = testMeter();
    const bridge = bridgeMetricsToMeter({ registry, meter: provider.getMeter('native') });

    let m = await collected(reader);
    expect(m.get('jobs')?.points.map((p) => [p.attributes, p.value])).toEqual([[{ queue: 'mail' }, 3]]);
    expect(m.get('jobs')?.descriptor.type).toBe('OBSERVABLE_COUNTER');
    expect(m.get('queue_depth')?.points.map((p) => p.value)).toEqual([7]);
    expect(m.get('job_seconds.count')?.points.map((p) => p.value)).toEqual([3]);
    expect(m.get('job_seconds.sum')?.points.map((p) => p.value)).toEqual([5.55]);
    expect(m.get('job_seconds.sum')?.descriptor.unit).toBe('seconds');
    expect(m.get('job_seconds.bucket')?.points.map((p) => [p.attributes.le, p.value])).toEqual([
      ['0.1', 1],
      ['1', 2],
      ['+Inf', 3],
    ]);

    // Values move with the registry; a family registered later is bridged from the next collections on.
    jobs.inc({ queue: 'mail' });
    const late = registry.counter({ name: 'late_total', help: 'Registered after the bridge.' });
    late.inc(2);
    await collected(reader);
    m = await collected(reader);
    expect(m.get('jobs')?.points.map((p) => p.value)).toEqual([4]);
    expect(m.get('late')?.points.map((p) => p.value)).toEqual([2]);
    expect(m.get(BRIDGE_GAUGE)?.points.map((p) => p.value)).toEqual([4]);
    expect(bridge.instruments()).toContain('late');

    // Closed: the registry is no longer read (the SDK keeps reporting the last cumulative value).
    bridge.close();
    jobs.inc({ queue: 'mail' }, 10);
    m = await collected(reader);
    expect(m.get('jobs')?.points.map((p) => p.value) ?? []).not.toContain(14);
  });

  it('bridges an empty registry and picks families up once they exist', async () => {
    const registry = createRegistry();
    const { provider, reader } = testMeter();
    bridgeMetricsToMeter({
      registry,
      meter: provider.getMeter('native'),
      include: (n) => n !== 'skipped_total',
    });
    registry.counter({ name: 'first_total', help: 'First.' }).inc();
    registry.counter({ name: 'skipped_total', help: 'Left out.' }).inc();
    await collected(reader);
    const m = await collected(reader);
    expect(m.get('first')?.points.map((p) => p.value)).toEqual([1]);
    expect(m.has('skipped')).toBe(false);
  });

  it('rejects bad options, naming the field', () => {
    expect(() => bridgeMetricsToMeter({ registry: createRegistry(), meter: {} as never })).toThrow(
      /meter: expected/,
    );
    expect(() => (bridgeMetricsToMeter as (o: unknown) => unknown)({ meter: {} })).toThrow(
      /registry: expected/,
    );
  });

  it('returns histograms as observable counters, not OpenTelemetry histograms (the API has no observable histogram)', async () => {
    const registry = createRegistry();
    registry.histogram({ name: 'h_seconds', help: 'H.', unit: 'seconds' }).observe(1);
    const { provider, reader } = testMeter();
    bridgeMetricsToMeter({ registry, meter: provider.getMeter('native') });
    const m = await collected(reader);
    expect(typeof (m.get('h_seconds.count')?.points[0]?.value as number | Histogram)).toBe('number');
  });
});
