/**
 * A user who installs only pino can use `@tasker/adapters/logs`: the packed tarballs of our
 * packages and pino go into a scratch project in one `npm i` (from the npm registry for the
 * rest), and `/logs` loads and logs there while `@opentelemetry/api` and `prom-client`, optional
 * peers of other subpaths, are absent. Runs on the built packages (the root test script builds
 * them first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npmInstallInto, packPackages, userEnv } from '../support/packed-install';

describe('installing @tasker/adapters with pino only', () => {
  const scratch = mkdtempSync(join(os.tmpdir(), 'tasker-single-peer-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('loads /logs and logs through pino, with no OpenTelemetry and no prom-client installed', () => {
    const tarballs = packPackages(['router', 'metrics-native', 'adapters'], join(scratch, 'packs'));
    const app = join(scratch, 'app');
    npmInstallInto(app, { name: 'scratch-app', private: true, type: 'module' }, [...tarballs, 'pino@10.4.0']);

    expect(existsSync(join(app, 'node_modules', '@tasker', 'adapters', 'dist', 'logs.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'pino'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', '@opentelemetry', 'api'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'prom-client'))).toBe(false);

    writeFileSync(
      join(app, 'main.js'),
      `import pino from 'pino';
import { createEventRouter } from '@tasker/router';
import { createLogsBackend } from '@tasker/adapters/logs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
for (const peer of ['@opentelemetry/api', 'prom-client']) {
  try { require.resolve(peer); console.log('present', peer); } catch { console.log('absent', peer); }
}
const logger = pino(pino.destination({ dest: 1, sync: true }));
const router = createEventRouter({ backends: { logs: createLogsBackend({ logger }) } });
router.route('task.completed', { taskId: 't-1', namespace: 'shop', taskName: 'order', version: '1.0.0', durationMs: 12 });
try { await import('@tasker/adapters/otel'); console.log('otel loaded'); } catch (e) { console.log('otel needs its peer:', e.code); }
`,
    );
    const out = execFileSync(process.execPath, ['main.js'], { cwd: app, env: userEnv, encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(out[0]).toBe('absent @opentelemetry/api');
    expect(out[1]).toBe('absent prom-client');
    expect(JSON.parse(out[2] as string)).toMatchObject({
      level: 30,
      event: 'task.completed',
      correlationId: 't-1',
      msg: 'task shop.order@1.0.0 completed in 12 ms',
    });
    // The subpath whose peer is missing fails on import, naming it: nothing loads it by accident.
    expect(out[3]).toBe('otel needs its peer: ERR_MODULE_NOT_FOUND');
  }, 420_000);
});
