import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config-schema';
import { loadConfig } from './load-config';

describe('configuration', () => {
  it('fills every group with its documented defaults and freezes the result', () => {
    const config = parseConfig({});
    expect(config.engine).toMatchObject({
      pollIntervalMs: 1_000,
      batchSize: 10,
      leaseMs: 2_500,
      heartbeatIntervalMs: 1_000,
      listen: true,
    });
    expect(config.backoff).toEqual({
      delaysMs: [1_000, 2_000, 4_000, 8_000, 16_000, 32_000],
      maxDelayMs: 300_000,
      jitter: 0.1,
    });
    expect(config.execution.concurrency).toBe(10);
    expect(config.telemetry).toEqual({ queryEvents: true, slowOperationThresholdMs: 1_000 });
    expect(config.store.kind).toBe('pglite');
    expect(config.api.prefix).toBe('/tasker');
    expect(config.api.events).toEqual({
      pollIntervalMs: 250,
      heartbeatMs: 15_000,
      batchSize: 100,
      gapTimeoutMs: 30_000,
    });
    expect(Object.isFrozen(config.backoff.delaysMs)).toBe(true);
    expect(() => {
      (config.engine as { batchSize: number }).batchSize = 1;
    }).toThrow();
  });

  it('names the path of a bad value', () => {
    expect(() => parseConfig({ execution: { concurrency: 0 } })).toThrow(
      'Invalid Tasker configuration: execution.concurrency: expected an integer from 1 to 1000, received 0',
    );
    expect(() => parseConfig({ engine: { leaseMz: 1 } as never })).toThrow('engine.leaseMz: unknown field');
    expect(() => parseConfig({ store: { kind: 'postgres' } })).toThrow('store.connectionString: required');
    expect(() => parseConfig({ api: { events: { pollIntervalMs: 5 } } })).toThrow(
      'api.events.pollIntervalMs: expected an integer from 10 to 60000, received 5',
    );
  });

  it('loads JSON and JS files, naming the file on errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tasker-config-'));
    await writeFile(join(dir, 'a.json'), JSON.stringify({ execution: { concurrency: 3 } }));
    expect((await loadConfig(join(dir, 'a.json'))).execution.concurrency).toBe(3);
    await writeFile(join(dir, 'b.mjs'), 'export default { backoff: { jitter: 2 } };');
    await expect(loadConfig(join(dir, 'b.mjs'))).rejects.toThrow(
      /backoff\.jitter: expected a number from 0 to 1, received 2 \(in .*b\.mjs\)/,
    );
    await expect(loadConfig(join(dir, 'c.yaml'))).rejects.toThrow('expected a .json, .js, .mjs or .cjs file');
  });
});
