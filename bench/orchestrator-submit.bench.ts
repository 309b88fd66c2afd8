/**
 * Submitting many tasks at once (issue #14): "`submitMany` of 10,000 tasks is reported in
 * tasks/s beside graphile-worker's `addJobs` in the same run".
 *
 * On the local PostgreSQL (`TASKER_BENCH_DATABASE_URL`, else `TASKER_TEST_DATABASE_URL`, else
 * postgres://postgres@127.0.0.1:5432/postgres), Tasker and graphile-worker 0.17.3 each in a new
 * database, with `fsync=on` and `synchronous_commit=on` asserted on each system's connections.
 * Each round runs every case once, in a rotating order, on emptied tables (`truncate`), and times
 * one call from its start until it resolved (every task durably committed):
 *
 * - `tasker submitMany (batchSize 1000)`: 10,000 one-step tasks, the engine's default batches
 *   (10 statements, each its own transaction), through an engine with a router (the default
 *   table, two backends that count events), as an application would submit;
 * - `tasker submitMany (batchSize 10000)`: the same in one statement;
 * - `tasker submit ×10,000 (8 at a time)`: the same tasks one `submit` each, 8 in flight, as
 *   before `submitMany` (and as the orchestrator benchmark still pre-submits);
 * - `graphile-worker addJobs (one call)`: 10,000 jobs, one per task, in one `addJobs` call;
 * - `graphile-worker addJobs (calls of 1000)`: the same in 10 calls, as Tasker's default batches.
 *
 * After each run its tables are counted: 10,000 tasks, steps and 30,000 transitions for Tasker
 * (every result `created`, every id distinct), 10,000 jobs for graphile-worker; a run that fails
 * its checks fails the benchmark. The statements Tasker sent are counted too.
 *
 * `ORCHESTRATOR_SUBMIT_BENCH_ROUNDS` (8) and `_TASKS` (10,000) make a smaller run; the results
 * file records them.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  createPostgresDriver,
  createTasker,
  defineTask,
  type SubmitRequest,
  type SubmitResult,
  type Tasker,
  TaskStore,
} from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import { Logger, makeWorkerUtils, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import { admin, databaseUrl, serverUrl } from './bench-postgres';
import { assertChecked, BenchCheckError, type Measurement, measurement, type Ratio } from './harness';
import { writeThroughputReport } from './throughput-report';

const ROUNDS = Number(process.env.ORCHESTRATOR_SUBMIT_BENCH_ROUNDS ?? 8);
const TASKS = Number(process.env.ORCHESTRATOR_SUBMIT_BENCH_TASKS ?? 10_000);
const POOL_SIZE = 10;
const SINGLE_PARALLELISM = 8;

const TASKER_BATCHED = 'tasker submitMany (batchSize 1000)';
const TASKER_ONE_STATEMENT = `tasker submitMany (batchSize ${TASKS})`;
const TASKER_SINGLE = `tasker submit ×${TASKS} (${SINGLE_PARALLELISM} at a time)`;
const GRAPHILE_ONE_CALL = 'graphile-worker addJobs (one call)';
const GRAPHILE_CALLS = 'graphile-worker addJobs (calls of 1000)';

/** One case: empties its tables, then `run` is timed; `check` says what is wrong after it. */
interface SubmitCase {
  readonly name: string;
  reset(): Promise<void>;
  run(): Promise<string>;
  check(): Promise<string[]>;
}

interface RoundRow {
  readonly round: number;
  readonly name: string;
  readonly ms: number;
  readonly tasksPerSecond: number;
  readonly detail: string;
}

const suffix = randomBytes(4).toString('hex');
const databases = [`tasker_submit_bench_${suffix}`, `graphile_submit_bench_${suffix}`];
const before = { loadAverageBefore: os.loadavg().map((v) => Math.round(v * 100) / 100) };
const closers: (() => Promise<void>)[] = [];

async function taskerCases(
  url: string,
): Promise<{ cases: SubmitCase[]; durability: Record<string, string> }> {
  const statements: string[] = [];
  const driver = await createPostgresDriver({ connectionString: url, poolSize: POOL_SIZE });
  const store = new TaskStore(driver, { onQuery: (q) => statements.push(q.name) });
  await store.migrate();
  let events = 0;
  const counting = (name: string) => ({ name, handle: () => void events++ });
  const router = createEventRouter({ backends: { trace: counting('trace'), metrics: counting('metrics') } });
  const one = defineTask({
    namespace: 'bench',
    name: 'one',
    version: '1.0.0',
    steps: [{ name: 'only', handler: async () => null }],
  });
  const tasker: Tasker = createTasker({ store, router, tasks: [one] });
  await tasker.store();
  closers.push(async () => {
    await tasker.stop();
    await store.close();
  });
  const requests = (): SubmitRequest[] =>
    Array.from({ length: TASKS }, (_, i) => ({
      namespace: 'bench',
      name: 'one',
      version: '1.0.0',
      context: { i },
    }));
  let results: SubmitResult[] = [];
  const count = async (table: string) =>
    Number((await driver.query<{ n: number }>(`select count(*)::int as n from tasker.${table}`)).rows[0]?.n);
  const check = async (): Promise<string[]> => {
    const problems: string[] = [];
    const [tasks, steps, transitions] = [
      await count('tasks'),
      await count('steps'),
      await count('transitions'),
    ];
    if (tasks !== TASKS || steps !== TASKS || transitions !== 3 * TASKS)
      problems.push(
        `${tasks} tasks, ${steps} steps, ${transitions} transitions; expected ${TASKS}, ${TASKS}, ${3 * TASKS}`,
      );
    if (results.length !== TASKS || results.some((r) => !r.created))
      problems.push('a result missing or not created');
    if (new Set(results.map((r) => r.taskId)).size !== TASKS) problems.push('task ids repeated');
    return problems;
  };
  const made = (name: string, submit: () => Promise<SubmitResult[]>): SubmitCase => ({
    name,
    reset: async () => {
      await driver.exec('truncate tasker.tasks cascade');
      results = [];
    },
    run: async () => {
      statements.length = 0;
      events = 0;
      results = await submit();
      const creates = statements.filter((s) => s.startsWith('create_task')).length;
      return `${creates} create statements, ${statements.length} in all; ${events} events routed`;
    },
    check,
  });
  const single = async (): Promise<SubmitResult[]> => {
    const all = requests();
    const out: SubmitResult[] = new Array(all.length);
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < all.length; i = next++) out[i] = await tasker.submit(all[i] as SubmitRequest);
    };
    await Promise.all(Array.from({ length: SINGLE_PARALLELISM }, lane));
    return out;
  };
  const settings = await driver.query<{ fsync: string; synchronous_commit: string }>(
    "select current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit",
  );
  const row = settings.rows[0];
  return {
    cases: [
      made(TASKER_BATCHED, () => tasker.submitMany(requests())),
      made(TASKER_ONE_STATEMENT, () => tasker.submitMany(requests(), { batchSize: TASKS })),
      made(TASKER_SINGLE, single),
    ],
    durability: { fsync: String(row?.fsync), synchronousCommit: String(row?.synchronous_commit) },
  };
}

async function graphileCases(
  url: string,
): Promise<{ cases: SubmitCase[]; durability: Record<string, string> }> {
  const silent = new Logger(() => () => {});
  const pgPool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  pgPool.on('error', () => {});
  await runMigrations({ pgPool, logger: silent });
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool, logger: silent });
  closers.push(async () => {
    await utils.release();
    await pgPool.end();
  });
  const specs = () => Array.from({ length: TASKS }, (_, i) => ({ identifier: 'one', payload: { i } }));
  let added = 0;
  const made = (name: string, add: () => Promise<number>): SubmitCase => ({
    name,
    reset: async () => {
      await pgPool.query('truncate graphile_worker._private_jobs');
      added = 0;
    },
    run: async () => {
      added = await add();
      return `${added} jobs returned`;
    },
    check: async () => {
      const n = Number(
        (await pgPool.query('select count(*)::int as n from graphile_worker._private_jobs')).rows[0]?.n,
      );
      return n === TASKS && added === TASKS
        ? []
        : [`${n} jobs in the table, ${added} returned; expected ${TASKS}`];
    },
  });
  const settings = await pgPool.query(
    "select current_setting('fsync') as fsync, current_setting('synchronous_commit') as synchronous_commit",
  );
  return {
    cases: [
      made(GRAPHILE_ONE_CALL, async () => (await utils.addJobs(specs())).length),
      made(GRAPHILE_CALLS, async () => {
        const all = specs();
        let n = 0;
        for (let from = 0; from < all.length; from += 1_000)
          n += (await utils.addJobs(all.slice(from, from + 1_000))).length;
        return n;
      }),
    ],
    durability: { fsync: settings.rows[0].fsync, synchronousCommit: settings.rows[0].synchronous_commit },
  };
}

const rotate = <T>(items: readonly T[], by: number): T[] =>
  items.map((_, i) => items[(i + by) % items.length] as T);
const int = (v: number) => Math.round(v).toLocaleString('en');

try {
  await admin(async (c) => {
    for (const d of databases) await c.query(`create database ${d}`);
  });
  const tasker = await taskerCases(databaseUrl(databases[0] as string));
  const graphile = await graphileCases(databaseUrl(databases[1] as string));
  const durability = { tasker: tasker.durability, 'graphile-worker': graphile.durability };
  for (const [system, d] of Object.entries(durability))
    if (d.fsync !== 'on' || d.synchronousCommit !== 'on')
      throw new Error(`${system} runs with fsync=${d.fsync}, synchronous_commit=${d.synchronousCommit}`);
  const cases = [...tasker.cases, ...graphile.cases];

  const rows: RoundRow[] = [];
  // Round 0 is a warm-up (JIT, prepared statements, the first extension of each table): untimed.
  for (let round = 0; round <= ROUNDS; round++) {
    for (const c of rotate(cases, round)) {
      await c.reset();
      const started = performance.now();
      const detail = await c.run();
      const ms = performance.now() - started;
      assertChecked(`round ${round}, ${c.name}`, await c.check());
      if (round === 0) continue;
      const tasksPerSecond = TASKS / (ms / 1000);
      rows.push({ round, name: c.name, ms, tasksPerSecond, detail });
      console.log(
        `round ${round} ${c.name}: ${int(tasksPerSecond)} tasks/s (${Math.round(ms)} ms; ${detail})`,
      );
    }
  }

  const rate = (name: string): Measurement =>
    measurement(
      `${name}: ${int(TASKS)} tasks`,
      'tasks/s',
      rows.filter((r) => r.name === name).map((r) => Math.round(r.tasksPerSecond)),
    );
  const measurements = cases.map((c) => rate(c.name));
  const find = (name: string) => measurements.find((m) => m.label.startsWith(name)) as Measurement;
  const ratioOf = (label: string, a: string, b: string): Ratio => {
    const value = Math.round((find(a).median / find(b).median) * 1000) / 1000;
    return {
      label: `${label} (medians ${int(find(a).median)} / ${int(find(b).median)} tasks/s)`,
      numerator: find(a).label,
      denominator: find(b).label,
      value,
    };
  };
  // The ratio of each round's pair, beside the ratio of medians: how much it moves.
  const perRound = (a: string, b: string) =>
    rows
      .filter((r) => r.name === a)
      .map(
        (r) =>
          r.tasksPerSecond /
          (rows.find((x) => x.round === r.round && x.name === b)?.tasksPerSecond ?? Number.NaN),
      );
  measurements.push(
    measurement(
      `per round, ${TASKER_BATCHED} / ${GRAPHILE_ONE_CALL}`,
      '×',
      perRound(TASKER_BATCHED, GRAPHILE_ONE_CALL),
    ),
  );
  const ratios: Ratio[] = [
    ratioOf(
      `submitMany of ${int(TASKS)} one-step tasks / graphile-worker addJobs of ${int(TASKS)} jobs, tasks/s`,
      TASKER_BATCHED,
      GRAPHILE_ONE_CALL,
    ),
    ratioOf(
      'submitMany in batches of 1000 / graphile-worker addJobs in calls of 1000, tasks/s',
      TASKER_BATCHED,
      GRAPHILE_CALLS,
    ),
    ratioOf(
      `submitMany / ${int(TASKS)} single submits (${SINGLE_PARALLELISM} at a time), tasks/s`,
      TASKER_BATCHED,
      TASKER_SINGLE,
    ),
    ratioOf(
      'submitMany, batchSize 1000 / one statement of all, tasks/s',
      TASKER_BATCHED,
      TASKER_ONE_STATEMENT,
    ),
  ];
  writeThroughputReport({
    subject: 'orchestrator-submit',
    description:
      `Submitting ${int(TASKS)} tasks at once: Tasker's submitMany (one-step tasks) beside graphile-worker 0.17.3's addJobs (one job per task), ` +
      'each on its own new database on the same PostgreSQL, in interleaved rounds; wall-clock time of one call until it resolved, on a shared machine (see the load averages).',
    settings: {
      rounds: ROUNDS,
      warmupRounds: 1,
      tasks: TASKS,
      poolSize: POOL_SIZE,
      tasker:
        'createTasker with a router (default table, trace and metrics backends that count events); identityStrategy none; no worker started',
      graphileWorker: { version: '0.17.3', maxPoolSize: POOL_SIZE, jobKeys: 'none' },
      postgres: serverUrl.replace(/\/\/[^@]*@/, '//'),
    },
    durability,
    runs: [],
    latency: [],
    tables: [
      {
        title: 'Every round',
        header: ['round', 'case', 'ms', 'tasks/s', 'what it sent'],
        rows: rows.map((r) => [
          String(r.round),
          r.name,
          String(Math.round(r.ms)),
          int(r.tasksPerSecond),
          r.detail,
        ]),
        note: 'Round 0, a warm-up, is not listed.',
      },
    ],
    data: { rounds: rows },
    measurements,
    ratios,
    before,
    notes: [
      'A Tasker task is a row in tasks, one in steps and three in transitions (task created and started, step created), with their indexes, and its events are routed after the commit; a graphile-worker job is one row in its jobs table.',
      "graphile-worker's addJobs returns every job's row; Tasker's submitMany returns each task's id and whether it was created.",
      'Every run passed its checks (the tables counted after it); one that fails them fails the benchmark.',
      'A commit marked +dirty means that files were modified in the working tree when the benchmark ran; the benchmark and the engine are those of the commit.',
    ],
  });
} catch (error) {
  if (!(error instanceof BenchCheckError)) throw error;
  console.error(`\nFAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  for (const close of closers) await close().catch((e) => console.warn('closing:', e));
  await admin(async (c) => {
    for (const d of databases) await c.query(`drop database if exists ${d} with (force)`);
  }).catch((e) => console.warn('dropping the benchmark databases:', e));
}
