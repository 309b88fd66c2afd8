import { createRegistry } from '@tasker/metrics-native';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isExporterError } from '../src/errors';
import { createPushgateway } from '../src/pushgateway';
import { type Daemon, startDaemon } from './support/daemon';
import { describeWithTool, executable } from './support/tools';

const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';

describeWithTool('a real Pushgateway', 'prometheus-pushgateway', executable(PUSHGATEWAY), () => {
  let gateway: Daemon | undefined;

  beforeAll(async () => {
    gateway = await startDaemon(
      PUSHGATEWAY,
      (port, prefix) => [
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.route-prefix=${prefix}`,
        '--log.level=warn',
      ],
      '/-/ready',
    );
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  const scrapeGateway = async () => (await fetch(`${gateway?.url}/metrics`)).text();

  it('takes a push, serves it back with the grouping labels, and deletes it', async () => {
    const registry = createRegistry();
    const rows = registry.counter({
      name: 'rows_imported_total',
      help: 'Rows imported',
      labelNames: ['table'],
    });
    rows.inc({ table: 'orders' }, 1200);
    rows.inc({ table: 'line "items"' }, 5);
    const duration = registry.histogram({
      name: 'import_duration_seconds',
      help: 'Import time',
      buckets: [1, 10],
    });
    duration.observe(3.5);

    const client = createPushgateway({
      url: gateway?.url as string,
      job: 'nightly_import',
      groupingLabels: { instance: 'batch/7' },
      registry,
    });
    await client.push();
    const pushed = await scrapeGateway();
    expect(pushed).toContain(
      'rows_imported_total{instance="batch/7",job="nightly_import",table="orders"} 1200',
    );
    expect(pushed).toContain(
      'rows_imported_total{instance="batch/7",job="nightly_import",table="line \\"items\\""} 5',
    );
    expect(pushed).toContain(
      'import_duration_seconds_bucket{instance="batch/7",job="nightly_import",le="10"} 1',
    );

    rows.inc({ table: 'orders' }, 1);
    await client.pushAdd();
    expect(await scrapeGateway()).toContain('table="orders"} 1201');

    await client.delete();
    expect(await scrapeGateway()).not.toContain('nightly_import');
  });

  it('reports the real gateway refusing an inconsistent push as a 4xx', async () => {
    const first = createRegistry();
    first.histogram({ name: 'conflict', help: 'A histogram', buckets: [1] }).observe(0.5);
    const second = createRegistry();
    // A gauge whose name is one of the histogram's sample names: inconsistent across groups.
    second.gauge({ name: 'conflict_count', help: 'A gauge' }).set(1);
    await createPushgateway({ url: gateway?.url as string, job: 'conflict', registry: first }).push();
    let error: unknown;
    try {
      await createPushgateway({
        url: gateway?.url as string,
        job: 'conflict',
        groupingLabels: { instance: 'b' },
        registry: second,
      }).push();
    } catch (e) {
      error = e;
    }
    expect(isExporterError(error) && error.code).toBe('PUSHGATEWAY_REJECTED');
    expect(isExporterError(error) && error.status).toBe(400);
  });
});
