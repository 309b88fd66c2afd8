import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OPENMETRICS_CONTENT_TYPE } from '../src/content-type';
import { createNodeMetricsHandler } from '../src/metrics-handler';
import { serialize } from '../src/serializer';
import { type Daemon, eventually, startDaemon } from './support/daemon';
import { hostileRegistry } from './support/hostile-registry';
import { describeWithTool, executable } from './support/tools';

const PROMETHEUS = '/usr/bin/prometheus';

interface QueryResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

describeWithTool('a real Prometheus scraping the exporter', 'prometheus', executable(PROMETHEUS), () => {
  let prometheus: Daemon | undefined;
  let exporter: Server | undefined;
  let dir = '';
  const scrapes: { accept: string | undefined; contentType: unknown }[] = [];
  let expectedSamples = 0;

  beforeAll(async () => {
    const registry = hostileRegistry();
    const handle = createNodeMetricsHandler({ registry });
    // Every non-comment line of our OpenMetrics output is one sample Prometheus should ingest
    // (the handler exports the self-metrics too).
    expectedSamples = serialize(registry.collect({ selfMetrics: true }), { format: 'openmetrics' })
      .split('\n')
      .filter((line) => line.length > 0 && !line.startsWith('#')).length;
    exporter = createServer((req, res) => {
      handle(req, res).then(() =>
        scrapes.push({ accept: req.headers.accept, contentType: res.getHeader('content-type') }),
      );
    });
    await new Promise<void>((resolve) => exporter?.listen(0, '127.0.0.1', resolve));
    const exporterPort = (exporter.address() as AddressInfo).port;

    dir = mkdtempSync(join(tmpdir(), 'tasker-prometheus-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: tasker',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${exporterPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = await startDaemon(
      PROMETHEUS,
      (port, prefix) => [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--web.route-prefix=${prefix}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=exemplar-storage',
        '--log.level=warn',
      ],
      '/-/ready',
    );
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => (exporter ? exporter.close(() => resolve()) : resolve()));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  async function query(expr: string): Promise<QueryResult['data']['result']> {
    const response = await fetch(`${prometheus?.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as QueryResult;
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${JSON.stringify(body)}`);
    return body.data.result;
  }

  it('scrapes without error, negotiating OpenMetrics', async () => {
    const target = await eventually('a completed scrape', async () => {
      const response = await fetch(`${prometheus?.url}/api/v1/targets`);
      const body = (await response.json()) as {
        data: { activeTargets: { health: string; lastError: string; lastScrape: string }[] };
      };
      const t = body.data.activeTargets[0];
      return t !== undefined && t.health !== 'unknown' ? t : undefined;
    });
    expect(target.lastError).toBe('');
    expect(target.health).toBe('up');
    expect(scrapes.length).toBeGreaterThan(0);
    expect(scrapes[0]?.accept).toMatch(/^application\/openmetrics-text;version=1\.0\.0/);
    expect(scrapes[0]?.contentType).toBe(OPENMETRICS_CONTENT_TYPE);
  }, 90_000);

  it('ingests every sample, and answers queries for a counter and a histogram quantile', async () => {
    const samples = await eventually('scrape_samples_scraped', async () => {
      const r = await query('scrape_samples_scraped{job="tasker"}');
      return r[0]?.value[1];
    });
    // Prometheus 2.42 ingests _created lines as samples too: 36 in all for this registry, and
    // 42 for its self-metrics (5 instruments, the handler's error counter included: 3 drop
    // reasons each, folded and evicted for the 3 labelled ones; each with its _created line).
    expect(Number(samples)).toBe(expectedSamples);
    expect(expectedSamples).toBe(36 + 42);

    const counter = await query('http_requests_total{route="two\\nlines"}');
    expect(counter[0]?.value[1]).toBe('4');
    const unicode = await query('http_requests_total{route="ünïcødé ✓ 日本"}');
    expect(unicode[0]?.value[1]).toBe('5');
    // Ten observations of 0.2 in the (0.1, 0.25] bucket: the median interpolates to 0.175.
    const median = await query(
      'histogram_quantile(0.5, job_duration_seconds_bucket{queue="mail \\"fast\\""})',
    );
    expect(Number(median[0]?.value[1])).toBeCloseTo(0.175, 10);
  }, 90_000);

  it('stores the exemplars', async () => {
    const now = Date.now() / 1000;
    const exemplars = await eventually('an exemplar', async () => {
      const response = await fetch(
        `${prometheus?.url}/api/v1/query_exemplars?query=${encodeURIComponent('http_requests_total')}&start=${now - 3600}&end=${now + 3600}`,
      );
      const body = (await response.json()) as { data: { exemplars: { labels: Record<string, string> }[] }[] };
      const all = body.data.flatMap((d) => d.exemplars.map((e) => e.labels.trace_id));
      return all.length > 0 ? all : undefined;
    });
    expect(exemplars).toContain('trace-0');
  }, 90_000);
});
