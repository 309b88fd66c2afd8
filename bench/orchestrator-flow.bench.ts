/**
 * Flow control (issue #14): two rows, on new databases of the local PostgreSQL
 * (`TASKER_BENCH_DATABASE_URL`, else `TASKER_TEST_DATABASE_URL`, else
 * postgres://postgres@127.0.0.1:5432/postgres), with `fsync=on` and `synchronous_commit=on`
 * asserted.
 *
 * - **Delayed start while idle** ("`runAt`: … While idle, how soon the start follows it
 *   (target: a median of at most 50 ms and none over 250 ms)"): the claim's time minus `run_at`,
 *   for an in-process engine and for two worker processes, both with the engine's default
 *   settings, in alternating rounds of 100 tasks whose `runAt`s are spread over 3 s
 *   (`orchestrator-flow-run-at.ts`). The targets are held against the median and the slowest
 *   of every sample of each set-up. Beside it, without a target, the handler's start minus
 *   `run_at`, which adds the claim's round trip.
 * - **Chain throughput with a concurrency key in use** ("report throughput with a concurrency
 *   key in use"): the orchestrator benchmark's run of 2,000 4-step chains (concurrency and batch
 *   size 32) without a key, with one constant key whose limit of 1,000 is never reached, and with
 *   50 keys of 40 consecutive chains each limited to 8 (the limit parks most ready steps), in
 *   interleaved rounds with a rotating order (`orchestrator-flow-chains.ts`); reported per round
 *   as each keyed run over the run without a key. No target: the issue asks for the figure.
 *
 * A run or round that fails its checks (a lost or repeated step, DAG order broken, a key over its
 * limit, a start before its `runAt`) fails the benchmark: it stops and exits non-zero.
 *
 * `ORCHESTRATOR_FLOW_BENCH_ROUNDS` (5), `_CHAINS` (2,000), `_RUN_AT_ROUNDS` (4) and
 * `_RUN_AT_TASKS` (100) make a smaller run; the results file records them.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createPostgresDriver, parseConfig, TaskStore } from '@tasker/orchestrator';
import { admin, databaseUrl, serverUrl } from './bench-postgres';
import { assertChecked, BenchCheckError, type Measurement, measurement, type Ratio } from './harness';
import { countingClaims, createFlowChainRunner, type FlowChainRun } from './orchestrator-flow-chains';
import { createRunAtRunner, type RunAtRound, type RunAtSetup } from './orchestrator-flow-run-at';
import { CHAIN_VARIANTS, type ChainVariant, KEYED } from './orchestrator-flow-tasks';
import type { TaskerBenchSettings } from './orchestrator-tasker';
import { quantile, type RawRun, writeThroughputReport } from './throughput-report';

const env = (name: string, fallback: number) =>
  Number(process.env[`ORCHESTRATOR_FLOW_BENCH_${name}`] ?? fallback);
const ROUNDS = env('ROUNDS', 5);
const CHAINS = env('CHAINS', 2_000);
const RUN_AT_ROUNDS = env('RUN_AT_ROUNDS', 4);
const RUN_AT = { count: env('RUN_AT_TASKS', 100), leadMs: 1_500, spreadMs: 3_000, workers: 2 };
// The orchestrator benchmark's engine settings (orchestrator.bench.ts), for the same workload.
const TASKER: TaskerBenchSettings = { concurrency: 32, batchSize: 32, submitParallelism: 8 };
const RUN_AT_MEDIAN_TARGET = 50;
const RUN_AT_MAX_TARGET = 250;
const VARIANTS: ChainVariant[] = ['none', 'wide', 'keyed'];
const SETUPS: Record<RunAtSetup, string> = {
  'in-process': 'an in-process engine',
  workers: `${RUN_AT.workers} worker processes`,
};

const r1 = (v: number) => Math.round(v * 10) / 10;
const load = () => os.loadavg().map((v) => Math.round(v * 100) / 100);
const rotate = <T>(items: readonly T[], by: number): T[] =>
  items.map((_, i) => items[(i + by) % items.length] as T);
const chainLabel = (v: ChainVariant) => `${CHAINS} 4-step chains, ${CHAIN_VARIANTS[v]}`;

const suffix = randomBytes(4).toString('hex');
const databases = {
  chains: `tasker_flow_chains_${suffix}`,
  'in-process': `tasker_flow_runat_a_${suffix}`,
  workers: `tasker_flow_runat_b_${suffix}`,
};
const before = { loadAverageBefore: load() };
const loadByPart: Record<string, number[]> = {};
const benchStarted = performance.now();
let store: TaskStore | undefined;

try {
  await admin(async (c) => {
    for (const d of Object.values(databases)) await c.query(`create database ${d}`);
  });
  const chainsUrl = databaseUrl(databases.chains);
  const counted = countingClaims(await createPostgresDriver({ connectionString: chainsUrl, poolSize: 10 }));
  const driver = counted.driver;
  store = new TaskStore(driver);
  await store.migrate();
  const show = async (setting: string) =>
    String((await driver.query<Record<string, string>>(`show ${setting}`)).rows[0]?.[setting]);
  const server = {
    fsync: await show('fsync'),
    synchronousCommit: await show('synchronous_commit'),
    version: await show('server_version'),
  };
  if (server.fsync !== 'on' || server.synchronousCommit !== 'on')
    throw new Error(
      `the server runs with fsync=${server.fsync}, synchronous_commit=${server.synchronousCommit}`,
    );

  // Delayed starts, each set-up idle between its rounds.
  console.log(`delayed starts: ${RUN_AT_ROUNDS} rounds of ${RUN_AT.count} tasks per set-up…`);
  loadByPart.runAt = load();
  const runAt = await createRunAtRunner(
    { 'in-process': databaseUrl(databases['in-process']), workers: databaseUrl(databases.workers) },
    RUN_AT,
  );
  const runAtRounds: RunAtRound[] = [];
  try {
    for (let round = 1; round <= RUN_AT_ROUNDS; round++)
      for (const setup of rotate(Object.keys(SETUPS) as RunAtSetup[], round - 1)) {
        const r = await runAt.run(setup, round);
        assertChecked(`delayed-start round ${round}, ${SETUPS[setup]}`, r.problems);
        runAtRounds.push(r);
        console.log(
          `round ${round} ${setup}: claim − run_at p50 ${quantile(r.samplesMs, 0.5)} ms, max ${Math.max(...r.samplesMs)} ms`,
        );
      }
  } finally {
    const trouble = await runAt.close();
    assertChecked('the delayed-start engines', trouble);
  }

  // Chain throughput with and without a concurrency key.
  loadByPart.chains = load();
  const chains = createFlowChainRunner(driver, store, chainsUrl, TASKER, counted.counts);
  const chainRuns: (FlowChainRun & { round: number })[] = [];
  for (let round = 1; round <= ROUNDS; round++)
    for (const variant of rotate(VARIANTS, round - 1)) {
      const r = await chains.run(variant, CHAINS);
      console.log(
        `round ${round} ${variant}: ${Math.round(r.stepsPerSecond)} steps/s (${Math.round(r.runMs)} ms; submit ${Math.round(r.submitMs)} ms; parked ≤ ${r.mostParked}, one key ≤ ${r.mostInKey}; ${r.claims.statements} claims of ${(r.claims.steps / r.claims.statements).toFixed(1)} steps)`,
      );
      assertChecked(`round ${round}, ${chainLabel(variant)}`, r.problems);
      chainRuns.push({ ...r, round });
    }
  loadByPart.end = load();

  // The report.
  const measurements: Measurement[] = [];
  const samplesOf = (setup: RunAtSetup) => runAtRounds.filter((r) => r.setup === setup);
  for (const setup of Object.keys(SETUPS) as RunAtSetup[]) {
    const rounds = samplesOf(setup);
    const all = rounds.flatMap((r) => r.samplesMs);
    const handler = rounds.flatMap((r) => r.handlerMs);
    const what = `delayed start while idle, ${SETUPS[setup]} (default settings): claim time − run_at`;
    measurements.push(
      measurement(
        `${what}, median of all ${all.length} samples`,
        'ms',
        [quantile(all, 0.5)],
        RUN_AT_MEDIAN_TARGET,
      ),
      measurement(
        `${what}, slowest of all ${all.length} samples`,
        'ms',
        [Math.max(...all)],
        RUN_AT_MAX_TARGET,
      ),
      measurement(
        `${what}, p50 of each round`,
        'ms',
        rounds.map((r) => quantile(r.samplesMs, 0.5)),
      ),
      measurement(
        `${what}, p99 of each round`,
        'ms',
        rounds.map((r) => quantile(r.samplesMs, 0.99)),
      ),
      measurement(
        `delayed start while idle, ${SETUPS[setup]}: handler start − run_at (this machine's clock), median of all ${handler.length}`,
        'ms',
        [quantile(handler, 0.5)],
      ),
      measurement(
        `delayed start while idle, ${SETUPS[setup]}: handler start − run_at, slowest of all ${handler.length}`,
        'ms',
        [Math.max(...handler)],
      ),
    );
  }
  const runsOf = (v: ChainVariant) => chainRuns.filter((r) => r.variant === v);
  const throughputOf = (v: ChainVariant) =>
    measurement(
      `chain throughput, ${chainLabel(v)}`,
      'steps/s',
      runsOf(v).map((r) => Math.round(r.stepsPerSecond)),
    );
  const perRound = (v: ChainVariant) => {
    const none = new Map(runsOf('none').map((r) => [r.round, r.stepsPerSecond]));
    return runsOf(v).map((r) => r.stepsPerSecond / (none.get(r.round) as number));
  };
  const throughput = Object.fromEntries(VARIANTS.map((v) => [v, throughputOf(v)])) as Record<
    ChainVariant,
    Measurement
  >;
  measurements.push(
    throughput.none,
    throughput.wide,
    throughput.keyed,
    measurement(
      `chain throughput per round, ${CHAIN_VARIANTS.wide} / ${CHAIN_VARIANTS.none}`,
      '×',
      perRound('wide'),
    ),
    measurement(
      `chain throughput per round, ${CHAIN_VARIANTS.keyed} / ${CHAIN_VARIANTS.none}`,
      '×',
      perRound('keyed'),
    ),
  );
  const ratios: Ratio[] = (['wide', 'keyed'] as const).map((v) => ({
    label: `chain throughput, ${CHAIN_VARIANTS[v]} / ${CHAIN_VARIANTS.none}`,
    numerator: throughput[v].label,
    denominator: throughput.none.label,
    value: Math.round((throughput[v].median / throughput.none.median) * 1000) / 1000,
  }));
  const runs: RawRun[] = chainRuns.map((r) => ({
    round: r.round,
    system: `tasker (PostgreSQL), ${CHAIN_VARIANTS[r.variant]}`,
    workload: 'chains',
    tasks: r.tasks,
    steps: r.steps,
    submitMs: r.submitMs,
    runMs: r.runMs,
    stepsPerSecond: r.stepsPerSecond,
    notes: r.notes,
  }));
  const defaults = parseConfig().engine;
  const wallSeconds = Math.round((performance.now() - benchStarted) / 1000);
  writeThroughputReport({
    subject: 'orchestrator-flow',
    description:
      'Tasker (@tasker/orchestrator) flow control on PostgreSQL (issue #14): how soon an idle engine starts a step after its runAt, ' +
      'and the chain throughput with a concurrency key on every step beside the same run without one, in interleaved rounds. ' +
      'Wall-clock time on a shared machine (see the load averages).',
    settings: {
      delayedStart: {
        roundsPerSetup: RUN_AT_ROUNDS,
        tasksPerRound: RUN_AT.count,
        runAt: `${RUN_AT.leadMs} to ${RUN_AT.leadMs + RUN_AT.spreadMs} ms ahead of the database clock, evenly spread, submitted one at a time`,
        setups: SETUPS,
        engine: `defaults (pollIntervalMs ${defaults.pollIntervalMs}, leaseMs ${defaults.leaseMs}, listen ${defaults.listen}, clockMaxRoundTripMs ${defaults.clockMaxRoundTripMs})`,
        sample: 'created_at of the step’s claimed transition (the claim’s now) − tasks.run_at',
      },
      chains: {
        rounds: ROUNDS,
        chainsPerRun: CHAINS,
        variants: CHAIN_VARIANTS,
        keyed: `${KEYED.keys} keys, ${Math.ceil(CHAINS / KEYED.keys)} consecutive chains each, limit ${KEYED.limit}`,
        tasker: { ...TASKER, poolSize: 10, engine: 'defaults otherwise, counting router backends' },
        betweenRuns: 'truncate tasker.tasks cascade, submit with the engine stopped, analyze',
      },
      postgres: serverUrl.replace(/\/\/[^@]*@/, '//'),
      serverVersion: server.version,
    },
    durability: {
      'PostgreSQL (every database of the benchmark)': {
        fsync: server.fsync,
        synchronousCommit: server.synchronousCommit,
      },
    },
    runs,
    latency: [],
    tables: [
      {
        title: 'Delayed starts, every round (ms after run_at)',
        header: [
          'round',
          'set-up',
          'samples',
          'submits ms',
          'submits ended before the first runAt, ms',
          'claim p50',
          'claim p90',
          'claim p99',
          'claim max',
          'handler start p50',
          'handler start max',
        ],
        rows: runAtRounds.map((r) => [
          String(r.round),
          SETUPS[r.setup],
          String(r.samplesMs.length),
          String(Math.round(r.submitMs)),
          String(r.submitSlackMs),
          ...[0.5, 0.9, 0.99, 1].map((q) => String(r1(quantile(r.samplesMs, q)))),
          ...[0.5, 1].map((q) => String(r1(quantile(r.handlerMs, q)))),
        ]),
        note: 'Claim: the claim’s time (its now, the engine’s clock) − run_at. Handler start: Date.now() in the handler − run_at (the database runs on this machine’s clock). Every sample is in the JSON file (data.delayedStart).',
      },
    ],
    data: {
      delayedStart: runAtRounds.map((r) => ({
        round: r.round,
        setup: r.setup,
        claimMs: r.samplesMs,
        handlerStartMs: r.handlerMs,
      })),
      chains: chainRuns.map((r) => ({
        round: r.round,
        variant: r.variant,
        mostParked: r.mostParked,
        mostInKey: r.mostInKey,
        claims: { ...r.claims, ms: Math.round(r.claims.ms) },
      })),
      loadAverages: loadByPart,
    },
    measurements,
    ratios,
    before,
    notes: [
      `Wall time of the whole benchmark: ${wallSeconds} s. Load averages (1 / 5 / 15 min) at the start of each part: ${Object.entries(
        loadByPart,
      )
        .map(([k, v]) => `${k} ${v.join(' / ')}`)
        .join(
          '; ',
        )}. The machine has ${os.cpus().length} cores, shared by the benchmark's processes, the PostgreSQL server and whatever else runs on it.`,
      'Delayed starts: the claim’s time is the engine’s clock (the database’s, through a measured offset within clockMaxRoundTripMs / 2), the one the claim compared ready_at with; a sample is how long after run_at the claim that took the step began. The in-process engine is woken by its own submits; the worker processes by NOTIFY. Between rounds nothing runs.',
      `Chains: each run is timed from starting the engine until every step is durably complete; tasks are submitted before, timed apart. The keyed variant's chains share their key with ${Math.ceil(CHAINS / KEYED.keys) - 1} others submitted next to them, so the oldest ready steps (those the claim takes first) are mostly of one or two keys: at most ${KEYED.limit} of a key run, the rest are parked until one of the key ends. The constant-key variant never parks a step, but every claim takes the key's advisory lock and every step's end runs the unpark trigger under it.`,
      'Each chain run’s notes give its claim statements (counted by the store’s driver), the steps they claimed on average and the time spent in them. A claim walks the oldest ready steps (up to the batch size), admits those whose key has room and parks the rest; when it took fewer than it asked for, the worker claims again at once.',
      'Every run and round passed its checks (every task and step complete exactly once, DAG order kept, no key over its limit in the samples; every delayed step claimed at or after its run_at); one that fails them fails the benchmark.',
      'A commit marked +dirty means that files were modified in the working tree when the benchmark ran; the benchmark and the engine are those of the commit.',
    ],
  });
} catch (error) {
  if (!(error instanceof BenchCheckError)) throw error;
  console.error(`\nFAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  await store?.close().catch((e) => console.warn('closing the chain store:', e));
  await admin(async (c) => {
    for (const d of Object.values(databases)) await c.query(`drop database if exists ${d} with (force)`);
  }).catch((e) => console.warn('dropping the benchmark databases:', e));
}
