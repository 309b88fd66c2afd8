/**
 * The orchestrator's operations (issue #13): the retention sweep, `/health/status` and prompt
 * cancellation, each on its own new database on the local PostgreSQL
 * (`TASKER_BENCH_DATABASE_URL`, else `TASKER_TEST_DATABASE_URL`, else
 * postgres://postgres@127.0.0.1:5432/postgres), with `fsync=on` and `synchronous_commit=on`
 * asserted.
 *
 * - **Retention sweep** ("A 200k-task sweep, with the claim's throughput during the sweep
 *   (target ≥ 90 % of without it)"): 200,000 finished 4-step chains are due, and each round
 *   times the orchestrator benchmark's chain run (2,000 chains, concurrency and batch size 32)
 *   twice, in alternating order: once without a sweep and once during a sweep run
 *   (`orchestrator-operations-retention.ts`). The sweep is the engine's `runRetention` on a
 *   connection of its own in this process; each round's run goes on from where the previous one
 *   stopped (it is stopped once its chain run has ended, as `maxRunMs` stops a run and the next
 *   one goes on). The measurement is each round's ratio, during / without; target ≥ 0.90. Two
 *   variants, on the same database:
 *   1. the default retention settings (batchSize 500, batchTimeMs 250, pauseMs 20,
 *      dutyCycle 0.1: after a batch of T ms the sweep rests 9 T), the main row;
 *   2. then, for comparison, dutyCycle 1 (the sweep rests only pauseMs between batches, as it
 *      did before the duty cycle), after what the first removed is filled in again.
 *   Also reported: the sweep's tasks/s and rows/s (tasks + steps + transitions removed per
 *   second of its runs), every run and batch, the plan the sweep's connection held for its
 *   batch statement, and one batch of that statement timed under each plan PostgreSQL may give
 *   it (generic and custom), rolled back, before the rounds.
 * - **Health status** ("Its time with 1M transitions in the table (target under 50 ms,
 *   uncached)"): 66,667 finished chains (1,000,005 transitions) and recent activity in the
 *   window, then rounds of `healthFigures` and of `GET /health/status` with `statusCacheMs: 0`
 *   (`orchestrator-operations-health.ts`); the target is held against the median of the rounds'
 *   p50.
 * - **Cancellation** ("aborts … within 200 ms"): from `tasker.cancel` here to the abort of the
 *   running handler in one of two worker processes (`orchestrator-operations-cancel.ts`); the
 *   median of every sample and the slowest are held against 200 ms.
 *
 * A chain run that loses a step, completes one twice or breaks DAG order, a sweep whose counts
 * disagree with the tables, health figures without the activity, or a cancellation that does not
 * abort, fails the benchmark: it stops and exits non-zero.
 *
 * `ORCHESTRATOR_OPERATIONS_BENCH_TASKS` (200,000), `_CHAINS` (2,000), `_ROUNDS` (8),
 * `_COMPARISON_ROUNDS` (4),
 * `_HEALTH_CHAINS` (66,667), `_HEALTH_ROUNDS` (5), `_HEALTH_CALLS` (40), `_CANCEL_ROUNDS` (5)
 * make a smaller run; the results file records them.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createPostgresDriver, parseConfig, type TaskerConfigInput, TaskStore } from '@tasker/orchestrator';
import { admin, databaseUrl, serverUrl } from './bench-postgres';
import { assertChecked, BenchCheckError, type Measurement, measurement } from './harness';
import { measureCancellation } from './orchestrator-operations-cancel';
import { measureHealth } from './orchestrator-operations-health';
import {
  BULK_ROWS,
  createChainRunner,
  fillFinishedChains,
  type Phase,
  type PlanProbe,
  probeBatchPlans,
  type SweepRounds,
  sweepRounds,
} from './orchestrator-operations-retention';
import type { TaskerBenchSettings } from './orchestrator-tasker';
import { quantile, type RawRun, type ReportTable, writeThroughputReport } from './throughput-report';

const env = (name: string, fallback: number) =>
  Number(process.env[`ORCHESTRATOR_OPERATIONS_BENCH_${name}`] ?? fallback);
const TASKS = env('TASKS', 200_000);
const CHAINS = env('CHAINS', 2_000);
const ROUNDS = env('ROUNDS', 8);
const COMPARISON_ROUNDS = env('COMPARISON_ROUNDS', 4);
const HEALTH_CHAINS = env('HEALTH_CHAINS', 66_667);
const HEALTH_ACTIVITY = 1_000;
const HEALTH_WAITING = 20;
const HEALTH_ROUNDS = env('HEALTH_ROUNDS', 5);
const HEALTH_CALLS = env('HEALTH_CALLS', 40);
const HEALTH_WARMUP = 10;
const CANCEL_ROUNDS = env('CANCEL_ROUNDS', 5);
const CANCEL_PER_ROUND = 4;
const CANCEL_WORKERS = 2;
// The orchestrator benchmark's engine settings (orchestrator.bench.ts), for the same workload.
const TASKER: TaskerBenchSettings = { concurrency: 32, batchSize: 32, submitParallelism: 8 };
// The retention settings' defaults, which the main sweep keeps.
const DEFAULTS = parseConfig().retention;
const PROBE_REPEATS = 3;
const THROUGHPUT_TARGET = 0.9;
const HEALTH_TARGET_MS = 50;
const CANCEL_TARGET_MS = 200;

const thousands = (n: number) => n.toLocaleString('en-US');
const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const median = (values: readonly number[]) => quantile(values, 0.5);
const load = () => os.loadavg().map((v) => Math.round(v * 100) / 100);
const log = (line: string) => console.log(line);

const suffix = randomBytes(4).toString('hex');
const [retentionDb, healthDb, cancelDb] = ['retention', 'health', 'cancel'].map(
  (k) => `tasker_ops_${k}_${suffix}`,
) as [string, string, string];
const before = { loadAverageBefore: load() };
const loadByPart: Record<string, number[]> = {};
const benchStarted = performance.now();
let store: TaskStore | undefined;
const topUps: number[] = [];

const PHASES: Record<Phase, string> = { without: 'without a sweep', during: 'during a sweep run' };

/** How one sweep variant runs (see the module comment). */
interface VariantSpec {
  readonly key: string;
  readonly label: string;
  readonly retention: Omit<NonNullable<TaskerConfigInput['retention']>, 'keepMs'>;
  readonly rounds: number;
}

/** One sweep variant's figures. */
interface Variant {
  readonly key: string;
  readonly label: string;
  readonly round: SweepRounds;
}

/** tasks, steps and transitions removed per second of sweeping (edges, 3 a task, are not counted). */
function sweepRates(v: Variant) {
  const s = v.round.sweep;
  const seconds = s.ms / 1000;
  const rows = s.tasks + s.tasks * BULK_ROWS.steps + s.transitions;
  return { seconds, tasksPerSecond: s.tasks / seconds, rowsPerSecond: rows / seconds, rows };
}

/** Each round's chain throughput during its sweep run over its run without. */
function throughputRatios(v: Variant) {
  const of = (phase: Phase) =>
    new Map(v.round.runs.filter((r) => r.phase === phase).map((r) => [r.round, r.stepsPerSecond]));
  const without = of('without');
  const during = of('during');
  return {
    without: [...without.values()],
    during: [...during.values()],
    ratios: [...during].map(([round, d]) => d / (without.get(round) as number)),
  };
}

/** One row per sweep run: how many tasks, in how many batches, how large and how long. */
function sweepRunRows(v: Variant): string[][] {
  return v.round.sweeps.map((run) => {
    const own = v.round.batches.filter((b) => b.round === run.round);
    const limits = own.map((b) => b.limit);
    return [
      v.key,
      String(run.round),
      String(run.tasks),
      String(run.batches),
      String(r1(run.ms / 1000)),
      own.length === 0 ? '—' : `${Math.min(...limits)}–${Math.max(...limits)} (median ${median(limits)})`,
      own.length === 0 ? '—' : String(Math.round(median(own.map((b) => b.ms)))),
      own.length === 0 ? '—' : String(Math.round(Math.max(...own.map((b) => b.ms)))),
      String(own.filter((b) => b.error !== undefined).length),
    ];
  });
}

/** The lines of a batch plan that select the doomed tasks (its first CTE), costs left out. */
function doomedPlan(plan: readonly string[]): string[] {
  const end = plan.findIndex((l) => l.trim().startsWith('CTE audit'));
  return plan
    .slice(0, end < 0 ? plan.length : end)
    .filter((l) => !l.trim().startsWith('Result') && !l.trim().startsWith('Buffers'))
    .map((l) => l.replace(/\s+\(cost=[^)]*\)/, '').trim());
}

try {
  await admin(async (c) => {
    for (const d of [retentionDb, healthDb, cancelDb]) await c.query(`create database ${d}`);
  });
  const retentionUrl = databaseUrl(retentionDb);
  const driver = await createPostgresDriver({ connectionString: retentionUrl, poolSize: 10 });
  store = new TaskStore(driver);
  await store.migrate();
  const show = async (setting: string) =>
    String((await driver.query<Record<string, string>>(`show ${setting}`)).rows[0]?.[setting]);
  const server = {
    fsync: await show('fsync'),
    synchronousCommit: await show('synchronous_commit'),
    autovacuum: await show('autovacuum'),
    version: await show('server_version'),
    sharedBuffers: await show('shared_buffers'),
    workMem: await show('work_mem'),
    planCacheMode: await show('plan_cache_mode'),
  };
  if (server.fsync !== 'on' || server.synchronousCommit !== 'on')
    throw new Error(
      `the server runs with fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit}`,
    );

  // Cancellation.
  log('cancellation rounds…');
  loadByPart.cancellation = load();
  const cancel = await measureCancellation(databaseUrl(cancelDb), {
    workers: CANCEL_WORKERS,
    rounds: CANCEL_ROUNDS,
    perRound: CANCEL_PER_ROUND,
    log,
  });
  assertChecked('the cancellation rounds', cancel.problems);

  // Health status.
  log(`health status: filling ${HEALTH_CHAINS} finished chains…`);
  loadByPart.health = load();
  const health = await measureHealth(databaseUrl(healthDb), {
    chains: HEALTH_CHAINS,
    activity: HEALTH_ACTIVITY,
    waiting: HEALTH_WAITING,
    rounds: HEALTH_ROUNDS,
    calls: HEALTH_CALLS,
    warmup: HEALTH_WARMUP,
    log,
  });
  assertChecked('the health status rounds', health.problems);
  await admin((c) => c.query(`drop database if exists ${healthDb} with (force)`));

  // Retention.
  log(`retention: filling ${TASKS} finished chains…`);
  loadByPart.retentionFill = load();
  const fill = await fillFinishedChains(retentionUrl, TASKS);
  log(`  filled in ${Math.round(fill.fillMs)} ms (vacuum analyze ${Math.round(fill.vacuumMs)} ms)`);
  const batchSize = 500;
  const probe = await probeBatchPlans(retentionUrl, [batchSize, 1], PROBE_REPEATS);
  for (const mode of ['force_generic_plan', 'force_custom_plan'] as const)
    for (const limit of [batchSize, 1])
      log(
        `  one batch (rolled back), ${mode}, limit ${limit}: ${probe.probes
          .filter((p) => p.mode === mode && p.limit === limit)
          .map((p) => Math.round(p.ms))
          .join(', ')} ms`,
      );
  const runner = createChainRunner(driver, store, TASKER);
  const defaults = `batchSize ${DEFAULTS.batchSize}, batchTimeMs ${DEFAULTS.batchTimeMs}, pauseMs ${DEFAULTS.pauseMs}, dutyCycle ${DEFAULTS.dutyCycle}`;
  const specs: VariantSpec[] = [
    {
      key: 'default settings',
      label: `the engine as it is, default retention settings (${defaults})`,
      retention: {},
      rounds: ROUNDS,
    },
    {
      key: 'dutyCycle 1',
      label: `the engine as it is with dutyCycle 1 (resting only pauseMs ${DEFAULTS.pauseMs} between batches)`,
      retention: { dutyCycle: 1 },
      rounds: COMPARISON_ROUNDS,
    },
  ];
  const variants: Variant[] = [];
  for (const spec of specs) {
    // What the previous variant removed is filled in again: each starts with TASKS due.
    const removed = variants.at(-1)?.round.sweep.tasks ?? 0;
    if (removed > 0) topUps.push((await fillFinishedChains(retentionUrl, removed)).tasks);
    loadByPart[spec.key] = load();
    log(`retention, ${spec.label}, ${spec.rounds} rounds:`);
    const round = await sweepRounds(driver, runner, {
      sweepUrl: retentionUrl,
      retention: spec.retention,
      chains: CHAINS,
      rounds: spec.rounds,
      log,
    });
    const problems = [...round.problems];
    if (round.dueBefore !== TASKS) problems.push(`${round.dueBefore} tasks were due, not ${TASKS}`);
    if (round.policy.batchSize !== batchSize)
      problems.push(`the policy's batch size is ${round.policy.batchSize}, the probe's ${batchSize}`);
    assertChecked(`the retention rounds "${spec.key}"`, problems);
    variants.push({ key: spec.key, label: spec.label, round });
  }
  loadByPart.retentionEnd = load();

  // The report.
  const measurements: Measurement[] = [];
  for (const v of variants) {
    const { ratios, without, during } = throughputRatios(v);
    const rates = sweepRates(v);
    const removed = `${thousands(v.round.sweep.tasks)} of ${thousands(v.round.dueBefore)} due tasks removed in ${r1(rates.seconds)} s of sweep runs`;
    measurements.push(
      measurement(
        `${v.label}: chain throughput during a retention sweep / without, per round (${CHAINS} 4-step chains per run; ${removed})`,
        '×',
        ratios,
        THROUGHPUT_TARGET,
        'atLeast',
      ),
      measurement(`${v.label}: chain throughput without the sweep`, 'steps/s', without.map(Math.round)),
      measurement(`${v.label}: chain throughput during the sweep`, 'steps/s', during.map(Math.round)),
      measurement(
        `${v.label}: tasks removed per second of sweeping, each round's sweep run`,
        'tasks/s',
        v.round.sweeps.map((x) => Math.round(x.tasks / (x.ms / 1000))),
      ),
      measurement(
        `${v.label}: rows removed per second of sweeping (tasks + steps + transitions), each round's sweep run`,
        'rows/s',
        v.round.sweeps.map((x) =>
          Math.round((x.tasks * (1 + BULK_ROWS.steps) + x.transitions) / (x.ms / 1000)),
        ),
      ),
    );
  }
  const probeMs = (mode: PlanProbe['mode'], limit: number) =>
    probe.probes.filter((p) => p.mode === mode && p.limit === limit).map((p) => r1(p.ms));
  for (const limit of [batchSize, 1])
    for (const [mode, name] of [
      ['force_generic_plan', 'generic'],
      ['force_custom_plan', 'custom'],
    ] as const)
      measurements.push(
        measurement(
          `one sweep batch of limit ${limit} with ${thousands(TASKS)} tasks due, ${name} plan (rolled back)`,
          'ms',
          probeMs(mode, limit),
        ),
      );

  const p50s = (rounds: number[][]) => rounds.map((r) => r3(median(r)));
  const maxes = (rounds: number[][]) => rounds.map((r) => r3(Math.max(...r)));
  const transitionsText = `${thousands(health.tables.transitions)} transitions`;
  measurements.push(
    measurement(
      `healthFigures (the statement of /health/status), ${transitionsText}, uncached: p50 of each round of ${HEALTH_CALLS} calls (target under 50 ms on p50)`,
      'ms',
      p50s(health.figuresMs),
      HEALTH_TARGET_MS,
      'atMost',
    ),
    measurement(
      `healthFigures, ${transitionsText}: slowest call of each round`,
      'ms',
      maxes(health.figuresMs),
    ),
    measurement(
      `GET /health/status (createTaskerApi, statusCacheMs 0), ${transitionsText}: p50 of each round of ${HEALTH_CALLS} calls`,
      'ms',
      p50s(health.httpMs),
      HEALTH_TARGET_MS,
      'atMost',
    ),
    measurement(
      `GET /health/status, ${transitionsText}: slowest call of each round`,
      'ms',
      maxes(health.httpMs),
    ),
  );
  const latencies = cancel.samples.map((s) => r1(s.latencyMs));
  measurements.push(
    measurement(
      `cancel → abort of the running handler in another worker process (${CANCEL_WORKERS} workers, default settings): median of every sample`,
      'ms',
      latencies,
      CANCEL_TARGET_MS,
      'atMost',
    ),
    measurement(
      `cancel → abort, slowest of ${latencies.length}`,
      'ms',
      [Math.max(...latencies)],
      CANCEL_TARGET_MS,
      'atMost',
    ),
  );

  const runs: RawRun[] = variants.flatMap((v) =>
    v.round.runs.map((r, i) => ({
      round: i + 1,
      system: `${v.key}: ${PHASES[r.phase]}`,
      workload: 'chains',
      tasks: r.tasks,
      steps: r.steps,
      submitMs: r.submitMs,
      runMs: r.runMs,
      stepsPerSecond: r.stepsPerSecond,
      notes: r.notes,
    })),
  );
  const quantiles = (samples: number[]) => [0.5, 0.9, 0.99, 1].map((q) => String(r1(quantile(samples, q))));
  const tables: ReportTable[] = [
    {
      title: 'Retention sweeps',
      header: [
        'variant',
        'pauseMs',
        'dutyCycle',
        'rounds',
        'due before',
        'tasks removed',
        'transitions removed',
        'seconds of sweep runs',
        'tasks/s',
        'rows/s',
        'batches',
        'plans of the batch statement (custom / generic)',
      ],
      rows: variants.map((v) => {
        const rates = sweepRates(v);
        return [
          v.key,
          String(v.round.policy.pauseMs),
          String(v.round.policy.dutyCycle),
          String(v.round.sweeps.length),
          String(v.round.dueBefore),
          String(v.round.sweep.tasks),
          String(v.round.sweep.transitions),
          String(r1(rates.seconds)),
          String(Math.round(rates.tasksPerSecond)),
          String(Math.round(rates.rowsPerSecond)),
          String(v.round.sweep.batches),
          v.round.planCache === undefined
            ? '—'
            : `${v.round.planCache.customPlans} / ${v.round.planCache.genericPlans}`,
        ];
      }),
      note: `Rows are tasks + steps (${BULK_ROWS.steps} a task) + transitions (${BULK_ROWS.transitions} a task); the ${BULK_ROWS.edges} edges of each task go too and are not counted. The plan counts are those of the sweep's one connection (plan_cache_mode ${server.planCacheMode}, the server's), read after its last run from pg_prepared_statements.`,
    },
    {
      title: 'Retention sweeps, every sweep run (one a round, during that round’s chain run)',
      header: [
        'variant',
        'round',
        'tasks removed',
        'batches',
        'seconds',
        'batch limits',
        'median batch ms',
        'slowest batch ms',
        'failed batches',
      ],
      rows: variants.flatMap((v) => sweepRunRows(v)),
      note: 'Each batch as the sweep called the store (its limit, the tasks it removed, its time); every batch is in the JSON file. A run is stopped once its round’s chain run has ended: the batch then under way, and the rest after it, finish first.',
    },
    {
      title: `The sweep’s batch statement under each plan, ${thousands(TASKS)} tasks due (EXPLAIN ANALYZE, limit ${batchSize}, rolled back; the part that selects the tasks)`,
      header: ['plan', 'node'],
      rows: (['force_generic_plan', 'force_custom_plan'] as const).flatMap((mode) =>
        doomedPlan(probe.plans[mode]).map((line, i) => [i === 0 ? mode : '', `\`${line}\``]),
      ),
      note: `The whole plans are in the JSON file (data.retention.probe.plans), and the plan each sweep's connection held after its run (EXPLAIN EXECUTE) in data.retention.sweeps.<variant>.plan.`,
    },
    {
      title: 'Health status, every round (ms)',
      header: ['round', 'call', 'calls', 'p50', 'p90', 'p99', 'max'],
      rows: health.figuresMs.flatMap((f, i) => [
        [String(i + 1), 'store.insights.healthFigures', String(f.length), ...quantiles(f)],
        [
          String(i + 1),
          'GET /health/status',
          String((health.httpMs[i] as number[]).length),
          ...quantiles(health.httpMs[i] as number[]),
        ],
      ]),
      note: `Tables: ${thousands(health.tables.tasks)} tasks, ${thousands(health.tables.steps)} steps, ${thousands(health.tables.transitions)} transitions, ${thousands(health.transitionsInWindow)} of them in the ${health.windowMs / 1000} s window. Statuses answered: ${JSON.stringify(health.statuses)}. The figures answered: ${JSON.stringify(health.figures)}.`,
    },
    {
      title: 'Cancellation, every sample (ms)',
      header: ['round', 'worker process', 'cancel → abort', 'cancel call'],
      rows: cancel.samples.map((s) => [
        String(s.round),
        String(s.worker),
        String(r1(s.latencyMs)),
        String(r1(s.cancelCallMs)),
      ]),
      note: `The workers' lease is ${cancel.leaseMs} ms, renewed every ${Math.round(cancel.leaseMs / 3)} ms: an abort found by a renewal instead of the notification would take up to that long.`,
    },
  ];
  const main = variants[0] as Variant;
  const wallSeconds = Math.round((performance.now() - benchStarted) / 1000);
  const loads = Object.entries(loadByPart)
    .map(([k, v]) => `${k} ${v.join(' / ')}`)
    .join('; ');
  writeThroughputReport({
    subject: 'orchestrator-operations',
    description:
      `Tasker (@tasker/orchestrator) operations on PostgreSQL (issue #13): the chain throughput during a retention ` +
      `sweep of ${thousands(TASKS)} due finished tasks against without one (default retention settings, and for ` +
      'comparison without the duty cycle; runs during and without a sweep paired round by round), the sweep’s rate, the time of /health/status’s figures with a million transitions, and the time from ' +
      'a cancel to the abort of the handler in another process. Wall-clock time on a shared machine (see the load ' +
      'averages).',
    settings: {
      retention: {
        dueTasks: TASKS,
        chainsPerRun: CHAINS,
        rounds: Object.fromEntries(variants.map((v) => [v.key, v.round.sweeps.length])),
        policy: { keepMs: { complete: '1 day' }, archive: false },
        variants: Object.fromEntries(variants.map((v) => [v.key, v.round.policy])),
        sweep:
          'runRetention in the benchmark process, on a pool of its own (1 connection, kept for every round)',
        fill: {
          how: 'insertCompletedChains (complete 4-step chains of November 2023), foreign-key triggers skipped (session_replication_role = replica), then vacuum analyze',
          triggersSkipped: fill.triggersSkipped,
          fillMs: Math.round(fill.fillMs),
          vacuumMs: Math.round(fill.vacuumMs),
          topUpsBetweenVariants: topUps,
        },
        betweenRuns: 'delete the previous run’s tasks (namespace bench), vacuum analyze, submit, analyze',
        planProbe: `the batch statement at limits ${batchSize} and 1 under force_generic_plan and force_custom_plan, ${PROBE_REPEATS} times each in alternating order, rolled back, before the first sweep`,
      },
      tasker: {
        ...TASKER,
        poolSize: 10,
        engine: 'defaults otherwise (as in the orchestrator benchmark), counting router backends',
      },
      health: {
        finishedChains: HEALTH_CHAINS,
        recentTasks: `${HEALTH_ACTIVITY} health.flaky (a → b → c; every 10th b fails once, every 50th c for good), ${HEALTH_WAITING} health.idle waiting`,
        rounds: HEALTH_ROUNDS,
        callsPerRound: HEALTH_CALLS,
        warmupCalls: HEALTH_WARMUP,
        window: `${health.windowMs} ms`,
      },
      cancellation: {
        workerProcesses: CANCEL_WORKERS,
        rounds: CANCEL_ROUNDS,
        tasksPerRound: CANCEL_PER_ROUND,
        pauseBeforeEachCancel: 'random, up to 300 ms',
        worker: 'bench/orchestrator-operations-worker.ts, engine defaults',
      },
      postgres: serverUrl.replace(/\/\/[^@]*@/, '//'),
      server: {
        version: server.version,
        autovacuum: server.autovacuum,
        sharedBuffers: server.sharedBuffers,
        workMem: server.workMem,
        planCacheMode: server.planCacheMode,
      },
    },
    durability: {
      'PostgreSQL (every database of the benchmark)': {
        fsync: server.fsync,
        synchronousCommit: server.synchronousCommit,
      },
    },
    runs,
    latency: [],
    tables,
    data: {
      retention: {
        probe: { probes: probe.probes.map((p) => ({ ...p, ms: r3(p.ms) })), plans: probe.plans },
        sweeps: Object.fromEntries(
          variants.map((v) => [
            v.key,
            {
              sweep: v.round.sweep,
              runs: v.round.sweeps.map((x) => ({ ...x, ms: r1(x.ms) })),
              dueBefore: v.round.dueBefore,
              leftAfter: v.round.leftAfter,
              planCache: v.round.planCache,
              plan: v.round.plan,
              batches: v.round.batches.map((b) => ({ ...b, atMs: r1(b.atMs), ms: r1(b.ms) })),
            },
          ]),
        ),
      },
      health: {
        fill: {
          ...health.fill,
          fillMs: Math.round(health.fill.fillMs),
          vacuumMs: Math.round(health.fill.vacuumMs),
        },
        activityMs: Math.round(health.activityMs),
        figuresMs: health.figuresMs.map((r) => r.map(r3)),
        httpMs: health.httpMs.map((r) => r.map(r3)),
      },
      cancellation: cancel.samples.map((s) => ({
        ...s,
        latencyMs: r3(s.latencyMs),
        cancelCallMs: r3(s.cancelCallMs),
      })),
      loadAverages: loadByPart,
    },
    measurements,
    ratios: [],
    before,
    notes: [
      `Wall time of the whole benchmark: ${wallSeconds} s. Load averages (1 / 5 / 15 min) at the start of each part: ${loads}. The machine has ${os.cpus().length} cores, shared by the benchmark's processes, the PostgreSQL server and whatever else runs on it.`,
      'Throughput: each run is timed from starting the engine until every step is durably complete; tasks are submitted before, timed apart. Each round has one run without a sweep and one during a sweep run (started before that run clears the database and submits, stopped once its timed part has ended), in alternating order; the measurement is each round’s ratio, during / without.',
      `Between runs the previous run's tasks are deleted and the tables vacuumed and analyzed, as the orchestrator benchmarks clear a database that keeps tasks; the server runs with autovacuum ${server.autovacuum}, so these vacuums also clear what the sweep left (untimed, while the sweep goes on, as autovacuum would).`,
      `The sweep is measured in runs, one a round, of the length of a chain run (${CHAINS} chains cleared, submitted and run), not in one run through all ${thousands(TASKS)}: at the rate of its default settings here (${Math.round(sweepRates(main).tasksPerSecond)} tasks/s) one such run would take ${Math.round(TASKS / sweepRates(main).tasksPerSecond / 60)} min. Its runs went on from one another, oldest tasks first, as the runs of a worker do every intervalMs; what they removed in all is in the sweeps table.`,
      `The duty cycle: after a batch that took T ms the sweep rests max(pauseMs, T × (1 − dutyCycle) / dutyCycle) ms, so at the default ${DEFAULTS.dutyCycle} it keeps the database busy about a tenth of its run. The dutyCycle 1 row is the same engine resting only pauseMs (${DEFAULTS.pauseMs} ms) between batches: what the throughput and the sweep's rate are without the rest.`,
      'The sweep’s batch statement (retention_sweep_batch) is a named prepared statement: after five executions PostgreSQL keeps its generic plan when that plan’s estimated cost is below the average of the custom plans’ (plan_cache_mode auto, the default). The generic plan cannot use the partial index tasks_finished_idx (state = $1 is not known to satisfy its predicate), so each batch, whatever its limit, reads and sorts every task created before the cutoff. The sweeps table shows how many plans of each kind each sweep’s connection made; the plan table and the one-batch rows time and show both plans on the full table.',
      `Health: the statement is timed as the store runs it (one transaction that pins index scans); GET /health/status adds the worker registry read and the JSON body. ${HEALTH_WARMUP} untimed calls of each came first; the rounds alternate which of the two goes first.`,
      `Cancellation: ${CANCEL_WORKERS} worker processes with the engine's default settings hold ${CANCEL_PER_ROUND} running steps a round; each is cancelled from this process after a random pause and its abort awaited before the next.`,
      'Every run and round passed its checks (each chain run: every task and step complete exactly once, DAG order kept; each sweep: the tasks and transitions it reports removed are those the tables lost; the health window holds complete, errored, retried and waiting work; every cancelled task ended cancelled with its handler aborted); one that fails them fails the benchmark.',
      ...cancel.notes,
      'A commit marked +dirty means that files were modified in the working tree when the benchmark ran; the benchmark and the engine are those of the commit.',
    ],
  });
} catch (error) {
  if (!(error instanceof BenchCheckError)) throw error;
  console.error(`\nFAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  await store?.close().catch((e) => console.warn('closing the retention store:', e));
  await admin(async (c) => {
    for (const d of [retentionDb, healthDb, cancelDb])
      await c.query(`drop database if exists ${d} with (force)`);
  }).catch((e) => console.warn('dropping the benchmark databases:', e));
}
