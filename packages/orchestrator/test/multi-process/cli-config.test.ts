/**
 * The `tasker` CLI's configuration and what it says about it, spawned from the built executable
 * (`dist/cli.js`): `--version`, the environment laid over the file before validation
 * (`{"store":{"kind":"postgres"}}` with `TASKER_DATABASE_URL`), `migrate` naming what it applied,
 * and `run` saying that it used an in-memory store.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations';
import { CLI, type CliRun, runCli, CLI_TASKS as TASKS } from '../support/cli';
import { describeWithPostgres } from '../support/postgres';

/** Every migration as the CLI names them: `1 initial, 2 claim-routing, …`. */
const MIGRATION_LIST = MIGRATIONS.map((m) => `${m.id} ${m.name}`).join(', ');

const MANIFEST = fileURLToPath(new URL('../../package.json', import.meta.url));

/** Runs the CLI with exactly `env` (and PATH), so that no TASKER_* of this process leaks in. */
function tasker(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { PATH: process.env.PATH ?? '', ...env });
}

let dir: string;
let postgresConfig: string;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (the root "test" script does)`);
  dir = await mkdtemp(join(tmpdir(), 'tasker-cli-config-'));
  postgresConfig = join(dir, 'postgres.json');
  await writeFile(postgresConfig, JSON.stringify({ store: { kind: 'postgres' } }));
});
afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('tasker CLI: version and in-memory runs', () => {
  it('prints the version of its package.json with --version', async () => {
    const { version } = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { version: string };
    const r = await tasker(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('says in one line that the port of serve is taken, naming --port', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const r = await tasker(['serve', '--tasks', TASKS, '--port', String(port), '--host', '127.0.0.1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `tasker: port ${port} on 127.0.0.1 is already in use: choose another with --port <n> (or api.port in the configuration; 0 picks a free one)\n`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 120_000);

  it('says that a run without a store uses an in-memory store that does not persist', async () => {
    const r = await tasker(['run', 'shop.checkout', '--tasks', TASKS, '--context', '{"order_id":"m-1"}']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'tasker: no store configured: this run uses an in-memory PGlite store, and nothing persists after it exits (set store in --config, or TASKER_DATABASE_URL)\n',
    );
    expect(r.stdout).toMatch(/task [0-9a-f-]{36} complete after/);
  }, 120_000);

  it('names TASKER_DATABASE_URL when the file asks for PostgreSQL and gives no URL', async () => {
    const r = await tasker(['migrate', '--config', postgresConfig]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `tasker: Invalid Tasker configuration: store.connectionString: required for store.kind "postgres"; set it in the file or with TASKER_DATABASE_URL (in ${postgresConfig})\n`,
    );
  });
});

describeWithPostgres(
  'tasker CLI: a postgres store from the file, its URL from TASKER_DATABASE_URL',
  (database) => {
    it('migrates (naming what it applied, then that nothing was left), runs and lists a task', async () => {
      const env = { TASKER_DATABASE_URL: database().url };
      const first = await tasker(['migrate', '--config', postgresConfig], env);
      expect(first).toEqual({
        code: 0,
        stdout: `postgres store: applied ${MIGRATIONS.length} migrations: ${MIGRATION_LIST}\n`,
        stderr: '',
      });
      const again = await tasker(['migrate', '--config', postgresConfig], env);
      expect(again).toEqual({
        code: 0,
        stdout: `postgres store: already up to date (migrations: ${MIGRATION_LIST})\n`,
        stderr: '',
      });
      const run = await tasker(
        [
          'run',
          'shop.checkout',
          '--config',
          postgresConfig,
          '--tasks',
          TASKS,
          '--context',
          '{"order_id":"e-1"}',
        ],
        env,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const list = await tasker(['tasks', '--config', postgresConfig, '--status', 'complete'], env);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain('shop.checkout@1.0.0');
    }, 180_000);
  },
);
