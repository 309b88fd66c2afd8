import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsServer } from '../src/metrics-server';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

function block(after: string): string {
  const start = readme.indexOf(after);
  if (start < 0) throw new Error(`README has no "${after}"`);
  const open = readme.indexOf('```ts\n', start);
  return readme.slice(open + 6, readme.indexOf('```', open + 6));
}

describe('the README', () => {
  const files: string[] = [];
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    for (const file of files.splice(0)) rmSync(file, { force: true });
  });

  it('exposes /metrics in five lines that run', async () => {
    const source = block('## `/metrics` in five lines');
    expect(source.split('\n').filter((line) => line.trim().length > 0)).toHaveLength(5);
    const src = (name: string) =>
      JSON.stringify(fileURLToPath(new URL(`../../${name}/src/index.ts`, import.meta.url)));
    const file = join(tmpdir(), `exporter-readme-${randomUUID()}.ts`);
    files.push(file);
    writeFileSync(
      file,
      source
        .replace("from '@tasker/metrics-native'", `from ${src('metrics-native')}`)
        .replace("from '@tasker/exporter-prometheus'", `from ${src('exporter-prometheus')}`)
        // A free port instead of 9464, and a handle on the server to close it.
        .replace('port: 9464', 'port: 0')
        .replace('await startMetricsServer(', 'export const server = await startMetricsServer(')
        .concat('\nexport { jobs };\n'),
    );
    const example = (await import(pathToFileURL(file).href)) as {
      server: MetricsServer;
      jobs: { inc(labels: { queue: string }): void };
    };
    server = example.server;
    example.jobs.inc({ queue: 'mail' });
    const body = await (await fetch(server.url)).text();
    expect(body).toContain('# TYPE jobs_processed_total counter\njobs_processed_total{queue="mail"} 1\n');
  });
});
