import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createRegistry, type Registry } from '@tasker/metrics-native';
import { afterEach, describe, expect, it } from 'vitest';
import { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from '../src/content-type';
import { isExporterError } from '../src/errors';
import { createMetricsHandler } from '../src/metrics-handler';
import { type MetricsServer, startMetricsServer } from '../src/metrics-server';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function registryWithData(): Registry {
  const registry = createRegistry();
  const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs run', labelNames: ['queue'] });
  for (let i = 0; i < 300; i++) jobs.inc({ queue: `queue-${i}` }, i);
  return registry;
}

/** A registry whose collect throws (in one piece and in slices), as a broken registry would. */
function failingRegistry(): { registry: Registry; real: Registry } {
  const real = createRegistry();
  const registry = Object.create(real) as Registry;
  registry.collect = () => {
    throw new Error('disk quota collector crashed');
  };
  registry.collectInSlices = async () => {
    throw new Error('disk quota collector crashed');
  };
  registry.counter = real.counter.bind(real) as Registry['counter'];
  return { registry, real };
}

/** A raw GET with node:http, so no client decompresses or negotiates for us. */
function rawGet(url: string, headers: Record<string, string>, method = 'GET') {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('fetch-style handler', () => {
  it('answers text by default and OpenMetrics to Prometheus', async () => {
    const handler = createMetricsHandler({ registry: registryWithData() });
    const text = await handler(new Request('http://x/metrics'));
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe(TEXT_CONTENT_TYPE);
    expect(await text.text()).toContain('jobs_total{queue="queue-7"} 7\n');

    const om = await handler(new Request('http://x/metrics', { headers: { accept: PROMETHEUS_ACCEPT } }));
    expect(om.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
    const body = await om.text();
    expect(body).toContain('jobs_total{queue="queue-7"} 7\n');
    expect(body.endsWith('# EOF\n')).toBe(true);
  });

  it('gzips when the client accepts it', async () => {
    const handler = createMetricsHandler({ registry: registryWithData() });
    const response = await handler(
      new Request('http://x/metrics', { headers: { 'accept-encoding': 'gzip' } }),
    );
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(response.headers.get('vary')).toBe('Accept, Accept-Encoding');
    const body = gunzipSync(Buffer.from(await response.arrayBuffer())).toString('utf8');
    expect(body).toContain('# TYPE jobs_total counter\n');
  });

  it('answers 405 with Allow to other methods, and HEAD without a body', async () => {
    const handler = createMetricsHandler({ registry: registryWithData() });
    const post = await handler(new Request('http://x/metrics', { method: 'POST', body: 'x' }));
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toEqual({
      error: 'method_not_allowed',
      message: 'POST is not allowed; use GET or HEAD',
    });
    const head = await handler(new Request('http://x/metrics', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers 503 with a JSON body and counts the failure when collecting throws', async () => {
    const { registry, real } = failingRegistry();
    const errors: unknown[] = [];
    const handler = createMetricsHandler({ registry, onError: (e) => errors.push(e) });
    const response = await handler(new Request('http://x/metrics'));
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({
      error: 'metrics_unavailable',
      message: 'Collecting the metrics failed; the failure is counted in tasker_metrics_export_errors_total',
      detail: 'disk quota collector crashed',
    });
    await handler(new Request('http://x/metrics'));
    expect(errors).toHaveLength(2);
    const family = real.collect().families.find((f) => f.name === 'tasker_metrics_export_errors_total');
    expect(family?.type === 'counter' && family.series[0]?.value).toBe(2);
  });

  it('reports every synchronous part of a scrape: collect slices, render slices, gzip hand-overs', async () => {
    const slices: number[] = [];
    const registry = registryWithData();
    const handler = createMetricsHandler({ registry, sliceMs: 0.001, onSlice: (ms) => slices.push(ms) });
    const response = await handler(
      new Request('http://x/metrics', { headers: { 'accept-encoding': 'gzip' } }),
    );
    const body = gunzipSync(Buffer.from(await response.arrayBuffer())).toString('utf8');
    // 301 series at 128 per slice: 3 collect slices, 3 render slices, each handed to gzip.
    expect(body.split('\n').filter((l) => l.startsWith('jobs_total{'))).toHaveLength(300);
    expect(slices).toHaveLength(3 + 3 + 3);
    expect(slices.every((ms) => ms >= 0)).toBe(true);
  });

  it('collects in one piece from a registry without collectInSlices, or when not chunked', async () => {
    const real = registryWithData();
    const plain = { collect: () => real.collect(), counter: real.counter.bind(real) as Registry['counter'] };
    for (const handler of [
      createMetricsHandler({ registry: plain, sliceMs: 0.001, onSlice: () => {} }),
      createMetricsHandler({ registry: real, chunked: false }),
    ]) {
      const body = await (await handler(new Request('http://x/metrics'))).text();
      expect(body.split('\n').filter((l) => l.startsWith('jobs_total{'))).toHaveLength(300);
    }
    const slices: number[] = [];
    await createMetricsHandler({ registry: plain, sliceMs: 0.001, onSlice: (ms) => slices.push(ms) })(
      new Request('http://x/metrics'),
    );
    // One collect, then 3 render slices.
    expect(slices).toHaveLength(1 + 3);
  });

  it('exports the self-metrics, counting folds, evictions and drops per instrument', async () => {
    let time = 0;
    const registry = createRegistry({ warn: () => {}, now: () => time, idleTtlMs: 1_000 });
    const logins = registry.counter({
      name: 'logins_total',
      help: 'Logins',
      labelNames: ['user'],
      seriesLimit: 1,
    });
    logins.inc({ user: 'a' });
    logins.inc({ user: 'b' });
    logins.inc({ user: 'c' });
    logins.inc({ user: 'a' }, -5);
    logins.inc({ user: 'a' }, Number.NaN);
    const scrape = async (handler: ReturnType<typeof createMetricsHandler>) =>
      (await (await handler(new Request('http://x/metrics'))).text()).split('\n');
    const handler = createMetricsHandler({ registry, sliceMs: 0.001 });
    const first = await scrape(handler);
    expect(first).toContain('# TYPE tasker_metrics_series_folded_total counter');
    expect(first).toContain('tasker_metrics_series_folded_total{metric="logins_total"} 2');
    expect(first).toContain('tasker_metrics_series_evicted_total{metric="logins_total"} 0');
    expect(first).toContain(
      'tasker_metrics_updates_dropped_total{metric="logins_total",reason="invalid_value"} 2',
    );
    expect(first).toContain(
      'tasker_metrics_updates_dropped_total{metric="logins_total",reason="invalid_labels"} 0',
    );
    // The handler's own error counter is an instrument too.
    expect(first).toContain(
      'tasker_metrics_updates_dropped_total{metric="tasker_metrics_export_errors_total",reason="invalid_value"} 0',
    );
    time = 5_000;
    const later = await scrape(handler);
    // Series a and the overflow series idled out, evicted by this scrape's collect.
    expect(later).toContain('tasker_metrics_series_evicted_total{metric="logins_total"} 2');
    expect(later.filter((l) => l.startsWith('logins_total{'))).toEqual([]);
    const without = await scrape(createMetricsHandler({ registry, selfMetrics: false }));
    expect(without.filter((l) => l.includes('tasker_metrics_series_'))).toEqual([]);
  });

  it('gives the same bytes chunked or not', async () => {
    const registry = registryWithData();
    const chunked = createMetricsHandler({ registry, sliceMs: 0.01 });
    const whole = createMetricsHandler({ registry, chunked: false });
    expect(await (await chunked(new Request('http://x/'))).text()).toBe(
      await (await whole(new Request('http://x/'))).text(),
    );
  });

  it('rejects bad options with the field named', () => {
    let error: unknown;
    try {
      createMetricsHandler({ registry: {} as Registry });
    } catch (e) {
      error = e;
    }
    expect(isExporterError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Invalid metrics handler options: registry: expected a registry from @tasker/metrics-native (an object with collect() and counter())',
    );
  });
});

describe('node:http handler and startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics on a real server on 127.0.0.1, with gzip and content negotiation', async () => {
    server = await startMetricsServer({ registry: registryWithData(), port: 0 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);

    const plain = await rawGet(server.url, {});
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe(TEXT_CONTENT_TYPE);
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    expect(plain.body.toString()).toContain('jobs_total{queue="queue-299"} 299\n');

    const gz = await rawGet(server.url, { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(gunzipSync(gz.body).toString().endsWith('# EOF\n')).toBe(true);

    const head = await rawGet(server.url, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);

    const other = await rawGet(`http://127.0.0.1:${server.port}/other`, {});
    expect(other.status).toBe(404);
    const del = await rawGet(server.url, {}, 'DELETE');
    expect(del.status).toBe(405);
  });

  it('answers 503 over HTTP when collecting throws', async () => {
    server = await startMetricsServer({ registry: failingRegistry().registry, port: 0 });
    const response = await rawGet(server.url, {});
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body.toString()).error).toBe('metrics_unavailable');
  });

  it('rejects when the port is taken', async () => {
    server = await startMetricsServer({ registry: registryWithData(), port: 0 });
    await expect(startMetricsServer({ registry: registryWithData(), port: server.port })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
