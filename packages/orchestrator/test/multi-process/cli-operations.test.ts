/**
 * `tasker health` and `tasker retention`, spawned from the built executable (`dist/cli.js`)
 * against `tasker serve` on PostgreSQL, in one database: a serve with workers and JWT
 * authentication is healthy (exit 0; /health/status needs the token remotely, none in-process),
 * then `retention run --dry-run` and `retention run` with a policy that keeps completed tasks for
 * 0 ms (what they removed is read with SQL), then a serve without workers is unhealthy (exit 1,
 * the reason printed). Commands that do not depend on each other run at once, to keep it short.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, type CliRun, runCli, type ServeProcess, startServe, CLI_TASKS as TASKS } from '../support/cli';
import { describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';

const SECRET = 'a-cli-operations-secret-of-32-bytes!!';
const sign = (permissions: string[]) =>
  new SignJWT({ permissions })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('operator')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));

describeWithPostgres('tasker health and tasker retention against tasker serve on PostgreSQL', (database) => {
  let dir: string;
  let server: ServeProcess | undefined;
  let sql: pg.Client;
  const config = { jwt: '', plain: '', keep: '' };

  /** The CLI with the test database; no TASKER_API_TOKEN unless given. */
  const tasker = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> => {
    const { TASKER_API_TOKEN: _, ...rest } = process.env;
    return runCli(args, {
      ...rest,
      NODE_OPTIONS: '',
      TASKER_DATABASE_URL: database().url,
      TASKER_JWT_SECRET: SECRET,
      ...env,
    });
  };
  const serve = (args: readonly string[]) =>
    startServe([...args, '--port', '0'], {
      ...process.env,
      NODE_OPTIONS: '',
      TASKER_DATABASE_URL: database().url,
      TASKER_JWT_SECRET: SECRET,
    });
  const tasks = async () =>
    (await sql.query<{ id: string; name: string; state: string }>('select id, name, state from tasker.tasks'))
      .rows;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (the root "test" script does)`);
    dir = await mkdtemp(join(tmpdir(), 'tasker-cli-operations-'));
    config.jwt = join(dir, 'jwt.json');
    config.plain = join(dir, 'plain.json');
    config.keep = join(dir, 'keep.json');
    await writeFile(
      config.jwt,
      JSON.stringify({ engine: { pollIntervalMs: 50 }, auth: { strategy: 'jwt' } }),
    );
    await writeFile(config.plain, '{}');
    await writeFile(config.keep, JSON.stringify({ retention: { keepMs: { complete: 0 }, archive: true } }));
    sql = new pg.Client({ connectionString: database().url });
    await sql.connect();
  });
  afterAll(async () => {
    await server?.stop();
    await sql?.end();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('health: exit 0 against a healthy serve; remotely /health/status needs the token, in-process none', async () => {
    server = await serve(['--config', config.jwt, '--tasks', TASKS]);
    const token = await sign(['tasker.health_status:index']);
    const [ok, json, anonymous, local] = await Promise.all([
      tasker(['health', '--api', server.url, '--token', token]),
      tasker(['health', '--api', server.url, '--json'], { TASKER_API_TOKEN: token }),
      tasker(['health', '--api', server.url]),
      tasker(['health', '--config', config.plain]),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^ready: ready \(200\): database pass \d+ ms, migrations pass \d+ ms, workers pass/,
    );
    expect(ok.stdout).toContain('\nstatus: healthy (200): 1 live worker, ');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      healthy: true,
      ready: { http_status: 200, body: { status: 'ready' } },
      status: { http_status: 200, body: { status: 'healthy', reasons: [], live_workers: 1 } },
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('tasker: GET /health/status failed: 401 UNAUTHENTICATED');
    expect(anonymous.stderr).toContain('--token or TASKER_API_TOKEN');
    // In-process: no token; this process runs no workers, the serve's is live.
    expect(local.stderr).toBe('');
    expect(local.code).toBe(0);
    expect(local.stdout).toContain('status: healthy (200): 1 live worker');
    expect(local.stdout).toContain('(in-process over the postgres store: this process runs no workers)');
  }, 60_000);

  it('retention run: the dry run removes nothing; the run removes the completed tasks, keeps the failed one', async () => {
    const api = (server as ServeProcess).url;
    const admin = await sign(['tasker.task:create', 'tasker.task:show', 'tasker.retention:index']);
    const submit = async (name: string) => {
      const r = await fetch(`${api}/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ namespace: 'shop', name, version: '1.0.0', context: { order_id: name } }),
      });
      expect(r.status).toBe(201);
      return ((await r.json()) as { task_id: string }).task_id;
    };
    const ids = await Promise.all([submit('checkout'), submit('checkout'), submit('refund')]);
    await until(
      'the three tasks to finish',
      tasks,
      (rows) => rows.length === 3 && rows.every((t) => t.state === 'complete' || t.state === 'error'),
    );
    const completed = (await tasks()).filter((t) => t.state === 'complete').map((t) => t.id);
    expect(completed).toHaveLength(2);
    const audit = Number(
      (
        await sql.query('select count(*)::int as n from tasker.transitions where task_id = any($1::uuid[])', [
          completed,
        ])
      ).rows[0].n,
    );

    const dry = await tasker(['retention', 'run', '--dry-run', '--config', config.keep]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout.split('\n')[0]).toBe(
      `retention dry run on the postgres store: would remove 2 tasks (${audit} transitions) and 0 expired identity keys; nothing was removed`,
    );
    expect(dry.stdout).toMatch(/\ncomplete in every namespace\s+0 ms\s+\S+Z\s+2\s+\d+\s+0\n/);
    expect((await tasks()).map((t) => t.id).sort()).toEqual([...ids].sort());

    const run = await tasker(['retention', 'run', '--config', config.keep]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(
      new RegExp(
        `^retention run on the postgres store: removed 2 tasks \\(${audit} transitions, ${audit} archived\\) and 0 expired identity keys in \\d+ batch(es)?; complete$`,
      ),
    );
    // Gone with their steps and audit (the audit copied to the archive); the failed task stays.
    expect(await tasks()).toEqual([expect.objectContaining({ name: 'refund', state: 'error' })]);
    const left = async (table: string) =>
      Number(
        (
          await sql.query(`select count(*)::int as n from ${table} where task_id = any($1::uuid[])`, [
            completed,
          ])
        ).rows[0].n,
      );
    expect(await left('tasker.steps')).toBe(0);
    expect(await left('tasker.transitions')).toBe(0);
    expect(await left('tasker.transitions_archive')).toBe(audit);

    // Both runs are recorded: shown in-process with the file's policy, and by the server with its own.
    const [shown, remote] = await Promise.all([
      tasker(['retention', 'show', '--config', config.keep]),
      tasker(['retention', 'show', '--api', api, '--json', '--limit', '5'], { TASKER_API_TOKEN: admin }),
    ]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`retention is on (the policy of ${config.keep}): swept every 10 min`);
    expect(shown.stdout).toMatch(/\ncomplete in every namespace\s+0 ms\n/);
    expect(shown.stdout).toMatch(
      /\n\S+Z\s+run\s+2\s+\d+\s+\d+\s+0\s+\d+\s+yes\s+\d+ ms\s+\S+\n\S+Z\s+dry run\s+2\s/,
    );
    expect(remote.code).toBe(0);
    const body = JSON.parse(remote.stdout) as {
      policy: { enabled: boolean };
      runs: { dry_run: boolean; tasks: number; archived: number }[];
    };
    expect(body.policy.enabled).toBe(false);
    expect(body.runs).toEqual([
      expect.objectContaining({ dry_run: false, tasks: 2, archived: audit }),
      expect.objectContaining({ dry_run: true, tasks: 2, archived: 0 }),
    ]);
  }, 60_000);

  it('health: exit 1 with the reason when no worker is live (serve --no-workers), remotely and in-process, and when the API is unreachable', async () => {
    const stopped = (server as ServeProcess).url;
    expect(await server?.stop()).toBe(0);
    server = await serve(['--config', config.plain, '--no-workers']);
    const [remote, local, unreachable] = await Promise.all([
      tasker(['health', '--api', server.url]),
      tasker(['health', '--config', config.plain]),
      tasker(['health', '--api', stopped]),
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(
      new RegExp(
        `^tasker: Cannot reach the Tasker API at ${stopped}( \\(\\w+\\))?: is "tasker serve" running there\\?\n$`,
      ),
    );
    for (const r of [remote, local]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^ready: ready \(200\)/);
      expect(r.stdout).toMatch(
        /\nstatus: unhealthy \(503\): 0 live workers, \d+ of \d+ step attempts failed in the last \d+ ms, queue lag \d+ ms\n {2}no live worker in the registry: no step can run\n/,
      );
    }
  }, 60_000);
});
