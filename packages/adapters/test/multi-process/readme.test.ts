/**
 * The README's examples run as written (each in its own process, on the sources), and print
 * what the README says they print.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
// Examples run inside the package, so that its dependencies resolve as a user's would.
const dir = mkdtempSync(join(pkg, '.readme-'));

function run(marker: string): string {
  const code = blocks.find((b) => b.includes(marker));
  if (code === undefined) throw new Error(`no README example contains ${marker}`);
  const file = join(dir, `${marker.replace(/\W/g, '')}.ts`);
  writeFileSync(file, code);
  return execFileSync(process.execPath, ['--conditions=@tasker/source', '--import', 'tsx', file], {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** The lines a block says it prints (`// …` right after a console.log). */
function promised(marker: string): string {
  const code = blocks.find((b) => b.includes(marker)) as string;
  return (code.match(/console\.log\([^\n]*\n\/\/ ([^\n]*)/) as RegExpMatchArray)[1] as string;
}

describe('README examples', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every ts block of the README: one test below per block', () => {
    const markers = [
      'createTaskerTracing({',
      'createTaskerTracing(sampledTracing)',
      'createOtelMetricsBackend({',
      'createNativeMetricsBackend({ registry })',
      'bridgeMetricsToPromClient({',
      'createNativeMetricProducer({ registry })',
      'createLogsBackend({ logger: pino() })',
    ];
    expect(blocks.map((b) => markers.filter((m) => b.includes(m)).length)).toEqual(blocks.map(() => 1));
  });

  it('traces: a task is a trace with the handler’s span under its step', () => {
    expect(run('createTaskerTracing({').trim()).toBe(promised('createTaskerTracing({'));
  }, 120_000);

  it('traces sampled by task id: every kept task whole, nothing from the dropped ones', () => {
    expect(run('createTaskerTracing(sampledTracing)').trim()).toBe(
      promised('createTaskerTracing(sampledTracing)'),
    );
  }, 120_000);

  it('OpenTelemetry metrics: the backend and the bridge on one meter provider', () => {
    expect(run('createOtelMetricsBackend({').trim()).toBe(promised('createOtelMetricsBackend({'));
  }, 120_000);

  it('native metrics', () => {
    const out = run('createNativeMetricsBackend({ registry })');
    expect(out.trim()).toBe(promised('createNativeMetricsBackend({ registry })'));
  }, 120_000);

  it('prom-client backend and bridge', () => {
    const out = run('bridgeMetricsToPromClient({');
    expect(out.replace(/\s+/g, ' ').trim()).toBe(promised('bridgeMetricsToPromClient({'));
  }, 120_000);

  it('native metrics to an sdk-metrics reader as a real histogram', () => {
    const out = run('createNativeMetricProducer({ registry })');
    expect(out.trim()).toBe(promised('createNativeMetricProducer({ registry })'));
  }, 120_000);

  it('logs, with the trace of the task', () => {
    const line = JSON.parse(run('createLogsBackend({ logger: pino() })').trim());
    expect(line).toMatchObject({
      level: 50,
      event: 'step.failed',
      correlationId: 't-1',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      msg: 'step charge failed (attempt 2/4) in 812 ms: card declined',
    });
  }, 120_000);
});
