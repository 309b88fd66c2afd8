/**
 * A metrics-native registry leaves over OTLP/HTTP with its kinds intact: the real sdk-metrics
 * `PeriodicExportingMetricReader`, given the producer, posts through the real
 * `OTLPMetricExporter` (JSON) to an OTLP receiver on 127.0.0.1, which decodes each request.
 * Counters arrive as monotonic cumulative sums, gauges as gauges, histograms as explicit-bucket
 * histograms with per-bucket counts, and start times stay fixed across exports.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { createRegistry } from '@tasker/metrics-native';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNativeMetricProducer } from '../src/otel/index';

/** OTLP JSON as the receiver decodes it (only the fields the checks read). */
interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpPoint {
  attributes: OtlpAttribute[];
  startTimeUnixNano: string | number;
  timeUnixNano: string | number;
  asDouble?: number;
  count?: string | number;
  sum?: number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
}
interface OtlpMetric {
  name: string;
  description: string;
  unit: string;
  sum?: { aggregationTemporality: number; isMonotonic: boolean; dataPoints: OtlpPoint[] };
  gauge?: { dataPoints: OtlpPoint[] };
  histogram?: { aggregationTemporality: number; dataPoints: OtlpPoint[] };
}
interface OtlpRequest {
  resourceMetrics: {
    resource: { attributes: OtlpAttribute[] };
    scopeMetrics: { scope: { name: string; version?: string }; metrics: OtlpMetric[] }[];
  }[];
}

/** OTLP's `AGGREGATION_TEMPORALITY_CUMULATIVE`. */
const OTLP_CUMULATIVE = 2;

const attributes = (p: OtlpPoint) =>
  Object.fromEntries(p.attributes.map((a) => [a.key, a.value.stringValue]));
const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n);

describe('native metrics over OTLP/HTTP', () => {
  let server: Server;
  let url: string;
  const requests: { contentType: string | undefined; body: OtlpRequest }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({
          contentType: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`;
  });
  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  it('exports counters, gauges and histograms as cumulative sums, gauges and bucketed histograms', async () => {
    let now = 1_700_000_000_250;
    const registry = createRegistry({ now: () => now });
    const jobs = registry.counter({
      name: 'jobs_processed_total',
      help: 'Jobs processed.',
      labelNames: ['queue'],
    });
    const depth = registry.gauge({ name: 'queue_depth', help: 'Jobs waiting.', labelNames: ['queue'] });
    const duration = registry.histogram({
      name: 'job_duration_seconds',
      help: 'Time a job ran.',
      unit: 'seconds',
      labelNames: ['queue'],
      buckets: [0.1, 0.5, 1],
    });
    const created = now;
    jobs.inc({ queue: 'emails' }, 5);
    jobs.inc({ queue: 'sms' });
    depth.set({ queue: 'emails' }, 7);
    const emails = duration.labels({ queue: 'emails' });
    // Cumulative (le) counts 1, 3, 4, 5; per bucket 1, 2, 1, 1 (the last above 1 s).
    for (const v of [0.05, 0.3, 0.5, 0.7]) emails.observe(v);
    emails.observe(2, { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' });

    const sdkCounter = { name: 'sdk.own' };
    const provider = new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url }),
          exportIntervalMillis: 3_600_000,
          metricProducers: [
            createNativeMetricProducer({ registry, scope: { name: 'shop', version: '1.2.0' } }),
          ],
        }),
      ],
    });
    // The SDK's own instruments travel beside the producer's, under their own scope.
    provider.getMeter('sdk-side').createCounter(sdkCounter.name).add(1);
    try {
      now += 4_000;
      await provider.forceFlush();
      expect(requests).toHaveLength(1);
      expect(requests[0]?.contentType).toMatch(/application\/json/);
      const scopes = requests[0]?.body.resourceMetrics[0]?.scopeMetrics ?? [];
      expect(scopes.map((s) => s.scope.name).sort()).toEqual(['sdk-side', 'shop']);
      const shop = scopes.find((s) => s.scope.name === 'shop');
      expect(shop?.scope.version).toBe('1.2.0');
      const metrics = new Map(shop?.metrics.map((m) => [m.name, m]));
      // Three metrics, not a histogram split into .count/.sum/.bucket counters.
      expect([...metrics.keys()].sort()).toEqual(['job_duration_seconds', 'jobs_processed', 'queue_depth']);

      const processed = metrics.get('jobs_processed');
      expect(processed?.description).toBe('Jobs processed.');
      expect(processed?.sum?.aggregationTemporality).toBe(OTLP_CUMULATIVE);
      expect(processed?.sum?.isMonotonic).toBe(true);
      expect(
        processed?.sum?.dataPoints.map((p) => [attributes(p), p.asDouble, String(p.startTimeUnixNano)]),
      ).toEqual([
        [{ queue: 'emails' }, 5, nanos(created)],
        [{ queue: 'sms' }, 1, nanos(created)],
      ]);
      expect(String(processed?.sum?.dataPoints[0]?.timeUnixNano)).toBe(nanos(created + 4_000));

      const queue = metrics.get('queue_depth');
      expect(queue?.gauge?.dataPoints.map((p) => [attributes(p), p.asDouble])).toEqual([
        [{ queue: 'emails' }, 7],
      ]);

      const hist = metrics.get('job_duration_seconds');
      expect(hist?.unit).toBe('s');
      expect(hist?.histogram?.aggregationTemporality).toBe(OTLP_CUMULATIVE);
      const [point] = hist?.histogram?.dataPoints ?? [];
      expect(attributes(point as OtlpPoint)).toEqual({ queue: 'emails' });
      expect(point?.explicitBounds).toEqual([0.1, 0.5, 1]);
      expect(point?.bucketCounts?.map(Number)).toEqual([1, 2, 1, 1]);
      expect(Number(point?.count)).toBe(5);
      expect(point?.sum).toBeCloseTo(3.55, 12);
      expect(String(point?.startTimeUnixNano)).toBe(nanos(created));

      // The next export is cumulative from the same start.
      emails.observe(0.2);
      jobs.inc({ queue: 'emails' }, 2);
      now += 60_000;
      await provider.forceFlush();
      expect(requests).toHaveLength(2);
      const again = new Map(
        requests[1]?.body.resourceMetrics[0]?.scopeMetrics
          .find((s) => s.scope.name === 'shop')
          ?.metrics.map((m) => [m.name, m]),
      );
      const [later] = again.get('job_duration_seconds')?.histogram?.dataPoints ?? [];
      expect(later?.bucketCounts?.map(Number)).toEqual([1, 3, 1, 1]);
      expect(Number(later?.count)).toBe(6);
      expect(String(later?.startTimeUnixNano)).toBe(nanos(created));
      expect(String(later?.timeUnixNano)).toBe(nanos(created + 64_000));
      expect(again.get('jobs_processed')?.sum?.dataPoints[0]?.asDouble).toBe(7);
    } finally {
      await provider.shutdown();
    }
  });
});
