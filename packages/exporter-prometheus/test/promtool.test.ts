import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { serialize } from '../src/serializer';
import { hostileRegistry } from './support/hostile-registry';
import { describeWithTool, executable } from './support/tools';

const PROMTOOL = '/usr/bin/promtool';

describeWithTool('promtool check metrics', 'promtool', executable(PROMTOOL), () => {
  it('accepts our text output, hostile label values included', () => {
    const text = serialize(hostileRegistry().collect(), { format: 'text' });
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  });

  it('accepts the self-metrics', () => {
    const registry = hostileRegistry();
    const text = serialize(registry.collect({ selfMetrics: true }), { format: 'text' });
    expect(text).toContain('# TYPE tasker_metrics_updates_dropped_total counter');
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: result.status, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 0,
      stdout: '',
      stderr: '',
    });
  });

  it("accepts the README's alerting rules on the self-metrics", () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const start = readme.indexOf('```yaml\n', readme.indexOf('## Self-metrics and alerts'));
    const rules = readme.slice(start + 8, readme.indexOf('```', start + 8));
    expect(rules).toContain('tasker_metrics_series_folded_total');
    const file = join(tmpdir(), `tasker-rules-${randomUUID()}.yml`);
    writeFileSync(file, rules);
    try {
      const result = spawnSync(PROMTOOL, ['check', 'rules', file], { encoding: 'utf8' });
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
      expect(result.stdout).toContain('SUCCESS: 3 rules found');
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('is strict enough to reject a broken exposition (the check can fail)', () => {
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], {
      input: '# TYPE broken counter\nbroken{a="unterminated} 1\n',
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
  });
});
