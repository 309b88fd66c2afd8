/**
 * `tasker schedules` (issue #14), spawned from the built executable (`dist/cli.js`) against
 * `tasker serve` with workers on PostgreSQL: add a per-second schedule through the API, see its
 * tasks appear, list and show it, pause, resume and remove it; a bad expression is refused
 * naming `cron`; the same list in-process over `--config`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, type CliRun, runCli, type ServeProcess, startServe, CLI_TASKS as TASKS } from '../support/cli';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';

describeWithPostgres('tasker schedules against tasker serve on PostgreSQL', (database) => {
  let dir: string;
  let config: string;
  let server: ServeProcess | undefined;
  let sql: pg.Client;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  const tasker = (args: readonly string[]): Promise<CliRun> => {
    const { TASKER_API_TOKEN: _, ...rest } = process.env;
    return runCli(args, { ...rest, NODE_OPTIONS: '', TASKER_DATABASE_URL: db.url });
  };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (the root "test" script does)`);
    db = await createTestDatabase(database().url);
    dir = await mkdtemp(join(tmpdir(), 'tasker-cli-schedules-'));
    config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ engine: { pollIntervalMs: 50 }, schedules: { tickMs: 200 } }));
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await server?.stop();
    await sql?.end();
    await db?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('adds, lists, shows, pauses, resumes and removes a schedule; the workers of serve fire it', async () => {
    server = await startServe(['--config', config, '--tasks', TASKS, '--port', '0'], {
      ...process.env,
      NODE_OPTIONS: '',
      TASKER_DATABASE_URL: db.url,
    });
    const api = ['--api', server.url];
    const added = await tasker([
      'schedules',
      'add',
      'every-second',
      'shop.checkout@1.0.0',
      '--cron',
      '* * * * * *',
      '--context',
      '{"order_id":"sched"}',
      '--catch-up',
      'all',
      '--catch-up-limit',
      '10',
      ...api,
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /^added schedule every-second: \* \* \* \* \* \* \(UTC\) → shop\.checkout@1\.0\.0, catch-up all \(≤ 10\)\nnext slot: \d{4}-/,
    );
    await until(
      'two tasks of the schedule',
      async () =>
        (
          await sql.query(
            "select count(*)::int as n from tasker.tasks where initiator = 'schedule:every-second'",
          )
        ).rows[0]?.n as number,
      (n) => n >= 2,
      { intervalMs: 200, tries: 150 },
    );
    const list = await tasker(['schedules', 'list', ...api]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^NAME\s+CRON\s+TIME ZONE\s+TASK\s+CATCH-UP\s+STATE\s+NEXT\s+LAST\s+FIRED\s+SKIPPED\s+SOURCE/,
    );
    expect(list.stdout).toMatch(
      /every-second\s+\* \* \* \* \* \*\s+UTC\s+shop\.checkout@1\.0\.0\s+all \(≤ 10\)\s+active/,
    );
    const paused = await tasker(['schedules', 'pause', 'every-second', ...api]);
    expect(paused.stdout).toBe('paused schedule every-second: it fires nothing until resumed\n');
    const shown = await tasker(['schedules', 'show', 'every-second', '--json', ...api]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'every-second', paused: true, source: 'api' });
    const text = await tasker(['schedules', 'show', 'every-second', ...api]);
    expect(text.stdout).toMatch(/^schedule +every-second\n/);
    expect(text.stdout).toMatch(/\nstate +paused\n/);
    const resumed = await tasker(['schedules', 'resume', 'every-second', ...api]);
    expect(resumed.stdout).toMatch(
      /^resumed schedule every-second: slots missed while it was paused follow its catch-up \(all \(≤ 10\)\)/,
    );
    const removed = await tasker(['schedules', 'remove', 'every-second', ...api]);
    expect(removed.stdout).toMatch(/^removed schedule every-second \(\d+ tasks fired; they stay\)\n$/);
    const gone = await tasker(['schedules', 'show', 'every-second', ...api]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/404 SCHEDULE_NOT_FOUND No schedule named "every-second"/);
    const bad = await tasker(['schedules', 'add', 'bad', 'shop.checkout', '--cron', '* * *', ...api]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /400 VALIDATION_FAILED[\s\S]*\n {2}cron: expected a cron expression of 5 or 6 fields/,
    );
    // In-process over the same store (the configuration's database): the same answers.
    expect(
      (await tasker(['schedules', 'add', 'daily', 'shop.checkout', '--cron', '@daily', ...api])).code,
    ).toBe(0);
    const local = await tasker(['schedules', 'list', '--config', config]);
    expect(local.code).toBe(0);
    expect(local.stdout).toMatch(/\ndaily\s+@daily\s+UTC\s+shop\.checkout@latest\s+latest\s+active/);
  }, 120_000);
});
