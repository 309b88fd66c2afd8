import { spawnSync } from 'node:child_process';
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

  it('is strict enough to reject a broken exposition (the check can fail)', () => {
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], {
      input: '# TYPE broken counter\nbroken{a="unterminated} 1\n',
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
  });
});
