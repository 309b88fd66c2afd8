/**
 * The `tasker` CLI end to end: the built executable (`dist/cli.js`; the root `test` script
 * builds first, since Node 20 cannot run the TypeScript sources) spawned as processes, stopped
 * by pid. `tasker serve` holds a PGlite data directory; the other commands reach it with
 * `--api`, and fail clearly when they try to open the directory instead. `cancel`, `retry` and
 * `resolve` run against `tasker serve` on PostgreSQL, and what they did is read from its API.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations';
import { CLI, type CliRun, runCli, type ServeProcess, startServe, CLI_TASKS as TASKS } from '../support/cli';
import { describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';

/** Every migration as the CLI names them: `1 initial, 2 claim-routing, …`. */
const MIGRATION_LIST = MIGRATIONS.map((m) => `${m.id} ${m.name}`).join(', ');

function tasker(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(args, { ...process.env, ...env, NODE_OPTIONS: '' });
}

describe('tasker CLI (spawned)', () => {
  let dir: string;
  let server: ServeProcess | undefined;
  let api = '';

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (the root "test" script does)`);
    dir = await mkdtemp(join(tmpdir(), 'tasker-cli-'));
    await writeFile(
      join(dir, 'tasker.config.json'),
      JSON.stringify({
        store: { kind: 'pglite', dataDir: join(dir, 'data') },
        engine: { pollIntervalMs: 50 },
      }),
    );
    await writeFile(join(dir, 'context.json'), JSON.stringify({ order_id: 'cli-1' }));
  });
  afterAll(async () => {
    if (server !== undefined && server.process.exitCode === null) server.process.kill('SIGKILL');
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('explains itself with --help, per command too', async () => {
    const top = await tasker(['--help']);
    expect(top.code).toBe(0);
    for (const command of [
      'serve',
      'run',
      'handlers',
      'graph',
      'tasks',
      'task',
      'cancel',
      'retry',
      'resolve',
      'health',
      'retention',
      'migrate',
    ])
      expect(top.stdout).toContain(command);
    const run = await tasker(['run', '--help']);
    expect(run.stdout).toContain('--context <json|@file>');
    expect(run.stdout).toContain('--api <url>');
    const bad = await tasker(['run']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("missing required argument 'task'");
  });

  it('rejects a bad configuration file with its path and every problem', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ execution: { concurrency: 0 }, store: { kind: 'mysql' }, colour: 'blue' }),
    );
    const r = await tasker(['tasks', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('execution.concurrency: expected an integer from 1 to 1000, received 0');
    expect(r.stderr).toContain('store.kind: expected "pglite" or "postgres", received "mysql"');
    expect(r.stderr).toContain('colour: unknown field');
    const missing = await tasker(['tasks', '--config', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.json');
  });

  it('prints a DAG as text, Mermaid and DOT, without opening a store', async () => {
    const text = await tasker(['graph', 'shop.checkout@1.0.0', '--tasks', TASKS]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('execution order: reserve → charge → notify → ship');
    expect(text.stdout).toContain('level 2: ship (after charge, notify)');
    const mermaid = await tasker(['graph', 'shop.checkout', '--tasks', TASKS, '--format', 'mermaid']);
    expect(mermaid.stdout).toContain('flowchart TD');
    expect(mermaid.stdout).toContain('s_notify --> s_ship');
    const dot = await tasker(['graph', 'shop.checkout', '--tasks', TASKS, '-f', 'dot']);
    expect(dot.stdout).toContain('"charge" -> "ship";');
    const unknown = await tasker(['graph', 'shop.nothing', '--tasks', TASKS]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('404');
  });

  it('serves the API and workers from a config file; others use --api, never the data directory', async () => {
    const config = join(dir, 'tasker.config.json');
    server = await startServe(['--config', config, '--tasks', TASKS, '--port', '0'], {
      ...process.env,
      NODE_OPTIONS: '',
    });
    api = server.url;

    const blocked = await tasker(['tasks', '--config', config]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('is in use by another process');
    expect(blocked.stderr).toContain(`--api ${api}`);

    const run = await tasker([
      'run',
      'shop.checkout@1.0.0',
      '--context',
      `@${join(dir, 'context.json')}`,
      '--api',
      api,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/submitted/);
    expect(run.stdout).toMatch(/ship: complete/);
    expect(run.stdout).toMatch(/task [0-9a-f-]{36} complete after/);
    const failed = await tasker(['run', 'shop.refund', '--api', api]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('PermanentError: refunds are closed');
    const invalid = await tasker(['run', 'shop.checkout', '--context', '{"order_id":', '--api', api]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('--context: not valid JSON');

    const handlers = await tasker(['handlers', '--api', api]);
    expect(handlers.stdout).toMatch(/shop\.checkout\s+1\.0\.0/);
    const list = await tasker(['tasks', '--api', api, '--json']);
    const page = JSON.parse(list.stdout) as { tasks: { task_id: string; status: string; name: string }[] };
    expect(page.tasks.map((t) => `${t.name}:${t.status}`).sort()).toEqual([
      'checkout:complete',
      'refund:error',
    ]);
    const checkout = page.tasks.find((t) => t.name === 'checkout')!.task_id;
    const show = await tasker(['task', checkout, '--api', api, '--dependencies']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('critical path: reserve → ');
    expect(show.stdout).toMatch(/reserve\s+complete\s+1/);

    // Stop by pid: the lock goes with it, and the directory opens again, with the tasks in it.
    expect(await server.stop(60_000)).toBe(0);
    expect(existsSync(`${join(dir, 'data')}.lock`)).toBe(false);
    const local = await tasker(['tasks', '--config', config]);
    expect(local.code).toBe(0);
    expect(local.stdout).toContain(checkout);
    expect(local.stdout).toContain('1–2 of 2');
    const migrate = await tasker(['migrate', '--config', config]);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toBe(
      `pglite store in ${join(dir, 'data')}: already up to date (migrations: ${MIGRATION_LIST})\n`,
    );
  }, 180_000);

  it('fails before opening the store when JWT is on and no key is in the environment', async () => {
    const file = join(dir, 'jwt.json');
    await writeFile(file, JSON.stringify({ auth: { strategy: 'jwt' } }));
    const r = await tasker(['serve', '--config', file, '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TASKER_JWT_SECRET');
  });
});

describeWithPostgres('tasker CLI on PostgreSQL (the URL from TASKER_DATABASE_URL)', (database) => {
  it('runs a task with local workers and lists it', async () => {
    const env = { TASKER_DATABASE_URL: database().url };
    const run = await tasker(
      ['run', 'shop.checkout', '--tasks', TASKS, '--context', '{"order_id":"pg-1"}'],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/task [0-9a-f-]{36} complete after/);
    const list = await tasker(['tasks', '--status', 'complete'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('shop.checkout@1.0.0');
  }, 120_000);

  it('run --priority and --run-at reach the task, which starts no earlier; a bad --priority is a usage error', async () => {
    const env = { TASKER_DATABASE_URL: database().url };
    const runAt = new Date(Date.now() + 1_500).toISOString();
    const run = await tasker(
      [
        'run',
        'shop.checkout',
        '--tasks',
        TASKS,
        '--context',
        '{"order_id":"pg-2"}',
        '--priority',
        '7',
        '--run-at',
        runAt,
        '--json',
      ],
      env,
    );
    expect(run.code).toBe(0);
    const task = JSON.parse(run.stdout) as {
      priority: number;
      run_at: string;
      workflow_steps: { started_at: string }[];
    };
    expect(task.priority).toBe(7);
    expect(task.run_at).toBe(runAt);
    for (const step of task.workflow_steps)
      expect(Date.parse(step.started_at)).toBeGreaterThanOrEqual(Date.parse(runAt));
    const bad = await tasker(['run', 'shop.checkout', '--tasks', TASKS, '--priority', 'high'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--priority: expected an integer, received "high"');
  }, 120_000);
});

describeWithPostgres('tasker cancel, retry and resolve against tasker serve on PostgreSQL', (database) => {
  let dir: string;
  let server: ServeProcess | undefined;
  let api = '';

  interface Step {
    workflow_step_id: string;
    name: string;
    status: string;
    results: unknown;
  }
  interface Task {
    task_id: string;
    status: string;
    workflow_steps: Step[];
    transitions: { step_name: string | null; from_state: string; to_state: string; reason: string | null }[];
  }

  /** Straight to the REST API, not through the CLI: what the commands did is read from there. */
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${api}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }
  const submit = async (name: string, context: unknown = {}) =>
    (await call<Task>('POST', '/tasks', { namespace: 'shop', name, version: '1.0.0', context })).task_id;
  const read = (id: string) => call<Task>('GET', `/tasks/${id}`);
  const step = (task: Task, name: string) => task.workflow_steps.find((s) => s.name === name) as Step;
  const statuses = (task: Task) => task.workflow_steps.map((s) => `${s.name}:${s.status}`);
  const cli = (...args: string[]) => tasker([...args, '--api', api]);

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (the root "test" script does)`);
    dir = await mkdtemp(join(tmpdir(), 'tasker-cli-manual-'));
    const config = join(dir, 'tasker.config.json');
    await writeFile(config, JSON.stringify({ engine: { pollIntervalMs: 50 } }));
    server = await startServe(['--config', config, '--tasks', TASKS, '--port', '0'], {
      ...process.env,
      NODE_OPTIONS: '',
      TASKER_DATABASE_URL: database().url,
    });
    api = server.url;
  });
  afterAll(async () => {
    await server?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('cancel: a task whose step is running becomes cancelled, with the step', async () => {
    const id = await submit('hold');
    await until(
      'the wait step to run',
      () => read(id),
      (t) => step(t, 'wait').status === 'in_progress',
    );
    const r = await cli('cancel', id);
    expect(r).toEqual({
      code: 0,
      stdout: `cancelled task ${id} (shop.hold@1.0.0; 1 unfinished step cancelled)\n`,
      stderr: '',
    });
    const task = await read(id);
    expect(task.status).toBe('cancelled');
    expect(statuses(task)).toEqual(['wait:cancelled']);
  });

  it('retry: a step in error, given by name, runs again; its task completes, and cancelling it then is a 409', async () => {
    const gate = join(dir, 'retry-gate');
    const id = await submit('gated', { gate });
    const failed = await until(
      'the task to fail',
      () => read(id),
      (t) => t.status === 'error',
    );
    expect(statuses(failed)).toEqual(['check:error', 'report:pending']);
    await writeFile(gate, '');
    const r = await cli('retry', id, 'check', '--reason', 'the gate is open now');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const checkId = step(failed, 'check').workflow_step_id;
    expect(r.stdout).toMatch(
      new RegExp(`^retrying step check \\(${checkId}\\) of task ${id}: (pending|in_progress|complete)\\n$`),
    );
    const done = await until(
      'the task to complete',
      () => read(id),
      (t) => t.status === 'complete',
    );
    expect(statuses(done)).toEqual(['check:complete', 'report:complete']);
    expect(step(done, 'report').results).toEqual({ check: { open: true } });
    expect(done.transitions).toContainEqual(
      expect.objectContaining({
        step_name: 'check',
        from_state: 'error',
        to_state: 'pending',
        reason: 'the gate is open now',
      }),
    );
    const late = await cli('cancel', id);
    expect(late).toEqual({
      code: 1,
      stdout: '',
      stderr: `tasker: DELETE /tasks/${id} failed: 409 INVALID_TRANSITION Invalid task transition complete → cancelled: task "${id}"\n`,
    });
    expect((await read(id)).status).toBe('complete');
  });

  it('resolve: a step in error, given by id, is resolved_manually with --result, which its child gets', async () => {
    const id = await submit('gated', { gate: join(dir, 'never-opened') });
    const failed = await until(
      'the task to fail',
      () => read(id),
      (t) => t.status === 'error',
    );
    const checkId = step(failed, 'check').workflow_step_id;
    const r = await cli('resolve', id, checkId, '--result', '{"a":1}');
    expect(r).toEqual({
      code: 0,
      stdout: `resolved step check (${checkId}) of task ${id}: resolved_manually, result {"a":1}\n`,
      stderr: '',
    });
    const done = await until(
      'the task to complete',
      () => read(id),
      (t) => t.status === 'complete',
    );
    expect(step(done, 'check')).toMatchObject({ status: 'resolved_manually', results: { a: 1 } });
    expect(step(done, 'report')).toMatchObject({ status: 'complete', results: { check: { a: 1 } } });
  });

  it('submit-many: prints the id of each line in order, in requests of --batch-size; a refused line is named', async () => {
    const line = (order: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        context: { order_id: order },
        ...extra,
      });
    const file = join(dir, 'orders.jsonl');
    await writeFile(
      file,
      [
        line('m-1', { identity_key: 'cli-many-1' }),
        line('m-2'),
        '',
        line('m-3', { tags: ['bulk'] }),
        line('m-4'),
        line('m-1 again', { identity_key: 'cli-many-1' }),
      ].join('\n'),
    );
    const r = await cli('submit-many', file, '--batch-size', '2');
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n');
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(4);
    expect(ids[4]).toBe(ids[0]);
    expect(r.stderr).toBe(
      `submitted 5 tasks from ${file} in 3 requests: 4 created, 1 existing (same identity_key)\n`,
    );
    const third = await call<Task & { context: unknown; tags: string[] }>('GET', `/tasks/${ids[2]}`);
    expect(third).toMatchObject({ context: { order_id: 'm-3' }, tags: ['bulk'] });

    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, [line('n-1'), line('n-2'), line('n-3'), line('n-4', { name: 'nope' })].join('\n'));
    const refused = await cli('submit-many', bad, '--batch-size', '2');
    expect(refused.code).toBe(1);
    expect(refused.stdout.trim().split('\n')).toHaveLength(2);
    expect(refused.stderr).toContain(
      `tasker: ${bad}: a request of 2 tasks, from line 3, was refused: 422 UNKNOWN_TASK; the 2 tasks before it were submitted (their ids are printed above), none from line 3 on`,
    );
    expect(refused.stderr).toContain(
      '\n  line 4: version: No task shop.nope matches version "1.0.0" (registered: none)',
    );
  });

  it("fails with the API's message and exit code 1 for an unknown task, and names an unknown step", async () => {
    const id = await submit('gated', { gate: join(dir, 'not-here') });
    const unknown = '00000000-0000-4000-8000-00000000abcd';
    const [missing, noStep] = await Promise.all([cli('cancel', unknown), cli('retry', id, 'chek')]);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `tasker: DELETE /tasks/${unknown} failed: 404 TASK_NOT_FOUND No task with id "${unknown}"\n`,
    });
    expect(noStep).toEqual({
      code: 1,
      stdout: '',
      stderr: `tasker: task ${id} has no step named "chek" (its steps: check, report); give a step's name or id\n`,
    });
  });
});
