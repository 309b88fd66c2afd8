/**
 * The orchestrator against graphile-worker 0.17.3, in one run (issue #5).
 *
 * On the local PostgreSQL (`TASKER_BENCH_DATABASE_URL`, else `TASKER_TEST_DATABASE_URL`, else
 * postgres://postgres@127.0.0.1:5432/postgres), each system in its own new database, with
 * `fsync=on` and `synchronous_commit=on` asserted on every system's own connections:
 *
 * - Tasker on PostgreSQL and Tasker on PGlite (a data directory on disk, started without
 *   PGlite's default `-F`, so that it too runs with fsync on): 2,000 concurrent 4-step chains,
 *   500 diamonds (1 → 3 → 1), and the idle latency of one 4-step workflow;
 * - graphile-worker, where each job enqueues the next, with and without its batching options
 *   (`localQueue`, `completeJobBatchDelay`, `failJobBatchDelay`): the chains and the latency.
 *
 * - With `ORCHESTRATOR_BENCH_BASELINE=<ref>` (a commit, e.g. the parent of the work under test):
 *   Tasker at that commit, "tasker@<ref> (PostgreSQL)", loaded from its TypeScript sources in a
 *   temporary git worktree (see `orchestrator-baseline.ts`), in its own new database, with the
 *   same workloads and settings, in the same interleaved rounds; the chain throughput of this
 *   commit's Tasker is held to ≥ 95 % of it (issue #11, acceptance 2). Unset, nothing of it runs.
 *
 * Every system has the same concurrency. Rounds are interleaved: each round runs every system
 * in a rotating order (with a baseline, it and this commit's Tasker run as a pair, in
 * alternating order; see `roundOrder`). Each run, and each latency round, checks itself after
 * it ended (see `orchestrator-tasker.ts` and `orchestrator-graphile.ts`): a run that lost a step, completed
 * one twice or broke DAG order fails the benchmark, which stops there and exits non-zero,
 * naming the round and the counts, rather than leave the run out of the medians.
 *
 * `ORCHESTRATOR_BENCH_ROUNDS`, `_CHAINS`, `_DIAMONDS` and `_LATENCY_SAMPLES` make a smaller run
 * (to try a change; the results file records the settings).
 *
 * Targets: ≥ 1,500 steps/s on PostgreSQL and ≥ 4 × graphile-worker's chain throughput; idle
 * p50 ≤ 20 ms and p99 ≤ 60 ms (also as a ratio to graphile-worker); ≥ 300 steps/s on PGlite;
 * with a baseline, chain throughput ≥ 0.95 × the baseline's.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgliteDriver, createPostgresDriver } from '@tasker/orchestrator';
import { admin, databaseUrl, serverUrl } from './bench-postgres';
import { assertChecked, BenchCheckError, type Measurement, measurement, type Ratio } from './harness';
import { type Baseline, loadBaseline } from './orchestrator-baseline';
import { createGraphileSystem } from './orchestrator-graphile';
import type { BenchSystem, Durability, Workload } from './orchestrator-system';
import { createTaskerSystem, type TaskerBenchSettings } from './orchestrator-tasker';
import { type LatencyRound, quantile, type RawRun, writeThroughputReport } from './throughput-report';

const ROUNDS = Number(process.env.ORCHESTRATOR_BENCH_ROUNDS ?? 5);
const CHAINS = Number(process.env.ORCHESTRATOR_BENCH_CHAINS ?? 2_000);
const DIAMONDS = Number(process.env.ORCHESTRATOR_BENCH_DIAMONDS ?? 500);
const LATENCY_SAMPLES = Number(process.env.ORCHESTRATOR_BENCH_LATENCY_SAMPLES ?? 200);
const BASELINE_REF = process.env.ORCHESTRATOR_BENCH_BASELINE || undefined;
const LATENCY_WARMUP = 20;
const CONCURRENCY = 32;
const TASKER: TaskerBenchSettings = { concurrency: CONCURRENCY, batchSize: 32, submitParallelism: 8 };
const PG_TARGET = 1_500;
const PGLITE_TARGET = 300;
const RATIO_TARGET = 4;
const BASELINE_RATIO_TARGET = 0.95;
const P50_TARGET = 20;
const P99_TARGET = 60;

const TASKER_PG = 'tasker (PostgreSQL)';
const TASKER_PGLITE = 'tasker (PGlite)';
const GRAPHILE_BATCHED = 'graphile-worker (batching)';
const GRAPHILE_PLAIN = 'graphile-worker (no batching)';
const TASKER_BASELINE = `tasker@${BASELINE_REF} (PostgreSQL)`;

// PGlite's default start parameters without `-F` (which turns fsync off).
const PGLITE_DURABLE_START = [
  '--single',
  '-O',
  '-j',
  '-c',
  'search_path=public',
  '-c',
  'exit_on_error=false',
  '-c',
  'log_checkpoints=false',
  '-c',
  'max_worker_processes=0',
  '-c',
  'max_parallel_workers=0',
  '-c',
  'max_parallel_workers_per_gather=0',
  '-c',
  'io_method=sync',
  '-c',
  'max_parallel_maintenance_workers=0',
];

function rotate<T>(items: readonly T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length] as T);
}

/**
 * The order of round `round`: the systems rotate by one each round, except that this commit's
 * Tasker and the baseline run back to back as one unit, one first in odd rounds and the other in
 * even ones, so that each follows the same systems equally often. (With the baseline as one more
 * system of the rotation, this commit's Tasker ran right after the PGlite run in four rounds of
 * five, and the baseline never did.)
 */
function roundOrder(systems: readonly BenchSystem[], round: number): BenchSystem[] {
  const ours = systems.find((s) => s.name === TASKER_PG);
  const base = systems.find((s) => s.name === TASKER_BASELINE);
  if (ours === undefined || base === undefined) return rotate(systems, round - 1);
  const units = systems
    .filter((s) => s !== base)
    .map((s) => (s === ours ? (round % 2 === 1 ? [ours, base] : [base, ours]) : [s]));
  return rotate(units, round - 1).flat();
}

const suffix = randomBytes(4).toString('hex');
const databases = [`tasker_bench_${suffix}`, `graphile_bench_${suffix}`];
if (BASELINE_REF !== undefined) databases.push(`tasker_baseline_bench_${suffix}`);
const pgliteDir = mkdtempSync(join(os.tmpdir(), 'tasker-bench-pglite-'));
const systems: BenchSystem[] = [];
const before = { loadAverageBefore: os.loadavg().map((v) => Math.round(v * 100) / 100) };

let baseline: Baseline | undefined;

try {
  // Before any database exists: making the worktree may take a while the first time.
  if (BASELINE_REF !== undefined) {
    baseline = await loadBaseline(BASELINE_REF);
    console.log(`baseline ${TASKER_BASELINE}: ${baseline.sha} in ${baseline.dir}`);
  }
  await admin(async (c) => {
    for (const d of databases) await c.query(`create database ${d}`);
  });
  const [taskerDb, graphileDb, baselineDb] = databases as [string, string, string | undefined];
  systems.push(
    await createTaskerSystem(
      TASKER_PG,
      await createPostgresDriver({ connectionString: databaseUrl(taskerDb), poolSize: 10 }),
      TASKER,
    ),
  );
  if (baseline !== undefined && baselineDb !== undefined) {
    // Its own driver, store, engine and router, all from the baseline's worktree.
    const { modules } = baseline;
    systems.push(
      await createTaskerSystem(
        TASKER_BASELINE,
        await modules.orchestrator.createPostgresDriver({
          connectionString: databaseUrl(baselineDb),
          poolSize: 10,
        }),
        TASKER,
        { modules },
      ),
    );
  }
  systems.push(
    await createGraphileSystem(GRAPHILE_BATCHED, databaseUrl(graphileDb), {
      concurrency: CONCURRENCY,
      batching: true,
    }),
    await createGraphileSystem(GRAPHILE_PLAIN, databaseUrl(graphileDb), {
      concurrency: CONCURRENCY,
      batching: false,
    }),
    await createTaskerSystem(
      TASKER_PGLITE,
      await createPgliteDriver({
        db: await PGlite.create({ dataDir: pgliteDir, startParams: PGLITE_DURABLE_START }),
      }),
      TASKER,
    ),
  );

  const durability: Record<string, Durability> = {};
  for (const s of systems) {
    const d = await s.durability();
    if (d.fsync !== 'on' || d.synchronousCommit !== 'on')
      throw new Error(`${s.name} runs with fsync=${d.fsync}, synchronous_commit=${d.synchronousCommit}`);
    durability[s.name] = d;
  }

  const runs: RawRun[] = [];
  const latency: LatencyRound[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of roundOrder(systems, round)) {
      const workloads: [Workload, number][] = s.dag
        ? [
            ['chains', CHAINS],
            ['diamonds', DIAMONDS],
          ]
        : [['chains', CHAINS]];
      for (const [workload, count] of workloads) {
        const { problems, ...r } = await s.run(workload, count);
        console.log(
          `round ${round} ${s.name} ${workload}: ${Math.round(r.stepsPerSecond)} steps/s` +
            ` (${Math.round(r.runMs)} ms; submit ${Math.round(r.submitMs)} ms)`,
        );
        assertChecked(`round ${round}, ${s.name}, ${count} ${workload} (${r.steps} steps)`, problems);
        runs.push({ round, system: s.name, ...r });
      }
    }
    for (const s of roundOrder(systems, round)) {
      const { samples, problems } = await s.latency(LATENCY_SAMPLES, LATENCY_WARMUP);
      assertChecked(
        `round ${round}, ${s.name}, idle latency (${LATENCY_WARMUP} + ${LATENCY_SAMPLES} chains)`,
        problems,
      );
      const l: LatencyRound = {
        round,
        system: s.name,
        p50: quantile(samples, 0.5),
        p90: quantile(samples, 0.9),
        p99: quantile(samples, 0.99),
        max: Math.max(...samples),
        samplesMs: samples.map((v) => Math.round(v * 1000) / 1000),
      };
      latency.push(l);
      console.log(`round ${round} ${s.name} latency: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`);
    }
  }

  const runsOf = (system: string, workload: Workload) =>
    runs.filter((r) => r.system === system && r.workload === workload);
  const throughput = (system: string, workload: Workload, target?: number): Measurement =>
    measurement(
      `${system}: ${workload === 'chains' ? `${CHAINS} 4-step chains` : `${DIAMONDS} diamonds`}`,
      'steps/s',
      runsOf(system, workload).map((r) => Math.round(r.stepsPerSecond)),
      target,
      'atLeast',
    );
  const latencyOf = (system: string, q: 'p50' | 'p99', target?: number): Measurement =>
    measurement(
      `${system}: idle 4-step workflow ${q}`,
      'ms',
      latency.filter((l) => l.system === system).map((l) => Math.round(l[q] * 10) / 10),
      target,
      'atMost',
    );

  const measurements: Measurement[] = [
    throughput(TASKER_PG, 'chains', PG_TARGET),
    throughput(TASKER_PG, 'diamonds', PG_TARGET),
    throughput(TASKER_PGLITE, 'chains', PGLITE_TARGET),
    throughput(TASKER_PGLITE, 'diamonds', PGLITE_TARGET),
    throughput(GRAPHILE_BATCHED, 'chains'),
    throughput(GRAPHILE_PLAIN, 'chains'),
    latencyOf(TASKER_PG, 'p50', P50_TARGET),
    latencyOf(TASKER_PG, 'p99', P99_TARGET),
    latencyOf(TASKER_PGLITE, 'p50'),
    latencyOf(TASKER_PGLITE, 'p99'),
    latencyOf(GRAPHILE_BATCHED, 'p50'),
    latencyOf(GRAPHILE_BATCHED, 'p99'),
    latencyOf(GRAPHILE_PLAIN, 'p50'),
    latencyOf(GRAPHILE_PLAIN, 'p99'),
  ];
  if (baseline !== undefined) {
    // The ratio of each round's pair, beside the ratio of medians below: how much it moves.
    const oursByRound = new Map(runsOf(TASKER_PG, 'chains').map((r) => [r.round, r.stepsPerSecond]));
    const pairs = runsOf(TASKER_BASELINE, 'chains').map(
      (r) => (oursByRound.get(r.round) as number) / r.stepsPerSecond,
    );
    measurements.push(
      throughput(TASKER_BASELINE, 'chains'),
      throughput(TASKER_BASELINE, 'diamonds'),
      latencyOf(TASKER_BASELINE, 'p50'),
      latencyOf(TASKER_BASELINE, 'p99'),
      measurement(`chain throughput per round, ${TASKER_PG} / ${TASKER_BASELINE}`, '×', pairs),
    );
  }
  const find = (label: string) => measurements.find((m) => m.label.startsWith(label)) as Measurement;
  const ours = find(`${TASKER_PG}: ${CHAINS}`);
  const graphileBest = [find(`${GRAPHILE_BATCHED}: ${CHAINS}`), find(`${GRAPHILE_PLAIN}: ${CHAINS}`)].sort(
    (a, b) => b.median - a.median,
  )[0] as Measurement;
  const bestLatency = [GRAPHILE_BATCHED, GRAPHILE_PLAIN]
    .map((s) => ({
      s,
      p50: find(`${s}: idle 4-step workflow p50`),
      p99: find(`${s}: idle 4-step workflow p99`),
    }))
    .sort((a, b) => a.p50.median - b.p50.median)[0] as { s: string; p50: Measurement; p99: Measurement };
  const ourP50 = find(`${TASKER_PG}: idle 4-step workflow p50`);
  const ourP99 = find(`${TASKER_PG}: idle 4-step workflow p99`);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const baselineRatio = (ours: Measurement, theirs: Measurement): Ratio => {
    const value = r3(ours.median / theirs.median);
    return {
      label: `chain throughput, ${TASKER_PG} / ${TASKER_BASELINE}`,
      numerator: ours.label,
      denominator: theirs.label,
      value,
      target: BASELINE_RATIO_TARGET,
      direction: 'atLeast',
      meetsTarget: value >= BASELINE_RATIO_TARGET,
    };
  };
  const throughputRatio = r3(ours.median / graphileBest.median);
  const ratios: Ratio[] = [
    {
      label: 'chain throughput, tasker (PostgreSQL) / graphile-worker (the better of its two settings)',
      numerator: ours.label,
      denominator: graphileBest.label,
      value: throughputRatio,
      target: RATIO_TARGET,
      direction: 'atLeast',
      meetsTarget: throughputRatio >= RATIO_TARGET,
    },
    ...(baseline === undefined ? [] : [baselineRatio(ours, find(`${TASKER_BASELINE}: ${CHAINS}`))]),
    {
      label: 'idle 4-step workflow p50, tasker (PostgreSQL) / graphile-worker (its better p50)',
      numerator: ourP50.label,
      denominator: bestLatency.p50.label,
      value: r3(ourP50.median / bestLatency.p50.median),
    },
    {
      label: 'idle 4-step workflow p99, tasker (PostgreSQL) / graphile-worker (same setting)',
      numerator: ourP99.label,
      denominator: bestLatency.p99.label,
      value: r3(ourP99.median / bestLatency.p99.median),
    },
  ];
  writeThroughputReport({
    subject: 'orchestrator',
    description:
      'Tasker (@tasker/orchestrator) on PostgreSQL and PGlite against graphile-worker 0.17.3 (each job enqueues the next), ' +
      'in one run with interleaved rounds; wall-clock time on a shared machine (see the load averages). ' +
      'Throughput is timed from starting the workers until every step is durably complete; tasks are submitted before, ' +
      'timed apart (submit ms). Latency is from submitting one 4-step chain to its last step durably complete, one at a time.' +
      (baseline === undefined ? '' : ` With ${TASKER_BASELINE}: Tasker at that commit, for the ratio to it.`),
    settings: {
      rounds: ROUNDS,
      chains: CHAINS,
      diamonds: DIAMONDS,
      latencySamplesPerRound: LATENCY_SAMPLES,
      latencyWarmupPerRound: LATENCY_WARMUP,
      concurrency: CONCURRENCY,
      tasker: {
        ...TASKER,
        poolSize: 10,
        preparedStatements: true,
        // The engine's defaults at this commit (a baseline runs with its own).
        pollIntervalMs: 1_000,
        leaseMs: 2_500,
        router: 'default mapping table; trace and metrics backends that count events',
        queryEvents: true,
      },
      graphileWorker: {
        version: '0.17.3',
        maxPoolSize: Math.max(10, CONCURRENCY + 2),
        pollInterval: 2_000,
        batching: { localQueue: { size: CONCURRENCY }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
      },
      postgres: serverUrl.replace(/\/\/[^@]*@/, '//'),
      pglite: 'data directory on disk, fsync on (PGlite’s default start parameters without -F)',
      ...(baseline === undefined
        ? {}
        : {
            baseline: {
              system: TASKER_BASELINE,
              ref: baseline.ref,
              commit: baseline.sha,
              worktree: baseline.dir,
              loadedFrom: 'packages/orchestrator/src and packages/router/src of the worktree (tsx)',
              resolved: baseline.resolved,
            },
          }),
    },
    durability: Object.fromEntries(
      Object.entries(durability).map(([k, d]) => [
        k,
        { fsync: d.fsync, synchronousCommit: d.synchronousCommit },
      ]),
    ),
    runs,
    latency,
    measurements,
    ratios,
    before,
    notes: [
      `graphile-worker's chain figure in the ratio is its better setting in this run: ${graphileBest.label}.`,
      'graphile-worker has no DAG, so it runs no diamonds.',
      "Latency: Tasker's figure is `submit()` then `waitFor()`, the public API, which reads the task back with its steps and transitions (one statement) once it completed, after one read of its state per wake-up; graphile-worker's is `addJob` until the last job's row is deleted (polled in a loop, no sleep).",
      'PGlite runs in this process (PostgreSQL in WASM, one connection), with its data directory on disk and fsync on as far as its file system passes fsync through.',
      'A commit marked +dirty means that files were modified in the working tree when the benchmark ran (on this shared machine, other work in progress); the benchmark and the engine are those of the commit.',
      'Every run and latency round passed its checks after it ended (every task and every step complete, each with exactly one completion, DAG order kept); one that fails them fails the benchmark.',
      ...(baseline === undefined
        ? []
        : [
            `${TASKER_BASELINE} is commit ${baseline.sha}, run from its TypeScript sources in a git worktree (${baseline.dir}) with its own installed dependencies, in its own database, with the same workloads, settings (concurrency, batch size, pool size, submit parallelism) and counting router backends (its own router package) as ${TASKER_PG}, in the same interleaved rounds. Engine defaults (such as the lease) are each commit's own.`,
          ]),
    ],
  });
} catch (error) {
  if (!(error instanceof BenchCheckError)) throw error;
  console.error(`\nFAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  for (const s of systems) await s.close().catch((e) => console.warn(`closing ${s.name}:`, e));
  await admin(async (c) => {
    for (const d of databases) await c.query(`drop database if exists ${d} with (force)`);
  }).catch((e) => console.warn('dropping the benchmark databases:', e));
  rmSync(pgliteDir, { recursive: true, force: true });
}
