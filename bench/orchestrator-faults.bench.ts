/**
 * The orchestrator under faults (issue #11): two measurements with their targets, each on
 * its own new databases on the local PostgreSQL (`TASKER_BENCH_DATABASE_URL`, else
 * `TASKER_TEST_DATABASE_URL`, else postgres://postgres@127.0.0.1:5432/postgres), with
 * `fsync=on` and `synchronous_commit=on` asserted.
 *
 * - **Throughput with errored tasks left behind** ("Claims that ignore finished work"): the
 *   orchestrator benchmark's chain run (2,000 4-step chains, same engine settings) on a
 *   database that also holds 10,000 errored tasks, each with a due step, made through the
 *   engine (`orchestrator-faults-leftover.ts`), and on a clean one, interleaved round after
 *   round in a rotating order. Both databases are cleared the same way before each run
 *   (`delete` of the previous run's tasks, `vacuum analyze`), and every run is checked like the
 *   orchestrator benchmark's; after every run the tasks left behind are counted again, to show
 *   that no run touched them. The measurement is each round's ratio, left / clean; target ≥ 0.95.
 * - **Recovery after SIGKILL** ("Recovery in seconds"): from the SIGKILL of a worker process
 *   holding running steps to the moment a busy survivor has claimed every one of them, with
 *   the engine's default settings (`orchestrator-faults-sigkill.ts`); target ≤ 3,000 ms.
 *
 * A run or round that loses a step, completes one twice, breaks DAG order, or (recovery) takes
 * over a step before its lease ended or in the wrong order, fails the benchmark: it stops there
 * and exits non-zero, naming the round and the counts.
 *
 * `ORCHESTRATOR_FAULTS_BENCH_ROUNDS` (5), `_CHAINS` (2,000), `_LEFTOVER` (10,000), `_ORPHANS`
 * (8) and `_BACKLOG` (1,000 busy chains) make a smaller run; the results file records them.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createPostgresDriver } from '@tasker/orchestrator';
import { admin, databaseUrl, serverUrl } from './bench-postgres';
import { assertChecked, BenchCheckError, type Measurement, measurement } from './harness';
import { describeLeftovers, LEFTOVER_TAG, leaveErroredTasks } from './orchestrator-faults-leftover';
import {
  createSigkillRig,
  ENGINE_DEFAULTS,
  type SigkillRig,
  type SigkillRound,
} from './orchestrator-faults-sigkill';
import { BUSY_MS, BUSY_STEPS } from './orchestrator-faults-tasks';
import type { BenchSystem, Durability } from './orchestrator-system';
import { createTaskerSystem, type TaskerBenchSettings } from './orchestrator-tasker';
import { type RawRun, writeThroughputReport } from './throughput-report';

const env = (name: string, fallback: number) =>
  Number(process.env[`ORCHESTRATOR_FAULTS_BENCH_${name}`] ?? fallback);
const ROUNDS = env('ROUNDS', 5);
const CHAINS = env('CHAINS', 2_000);
const LEFTOVER = env('LEFTOVER', 10_000);
const ORPHANS = env('ORPHANS', 8);
const BACKLOG = env('BACKLOG', 1_000);
// The orchestrator benchmark's engine settings (orchestrator.bench.ts), for the same workload.
const TASKER: TaskerBenchSettings = { concurrency: 32, batchSize: 32, submitParallelism: 8 };
const LEFTOVER_RATIO_TARGET = 0.95;
const RECOVERY_TARGET_MS = 3_000;

const leftoverCount = LEFTOVER >= 1_000 && LEFTOVER % 1_000 === 0 ? `${LEFTOVER / 1_000}k` : String(LEFTOVER);
const CLEAN = 'tasker (PostgreSQL), clean database';
const LEFT = `tasker (PostgreSQL), ${leftoverCount} errored tasks left behind`;
const RECOVERY = 'recovery after SIGKILL (default settings, busy survivor)';

const r1 = (v: number) => Math.round(v * 10) / 10;
const suffix = randomBytes(4).toString('hex');
const [cleanDb, leftDb, killDb] = ['clean', 'leftover', 'sigkill'].map(
  (k) => `tasker_faults_${k}_${suffix}`,
) as [string, string, string];
const systems: BenchSystem[] = [];
let rig: SigkillRig | undefined;
const before = { loadAverageBefore: os.loadavg().map((v) => Math.round(v * 100) / 100) };

try {
  await admin(async (c) => {
    for (const d of [cleanDb, leftDb, killDb]) await c.query(`create database ${d}`);
  });
  const leftDriver = await createPostgresDriver({ connectionString: databaseUrl(leftDb), poolSize: 10 });
  const clean = await createTaskerSystem(
    CLEAN,
    await createPostgresDriver({ connectionString: databaseUrl(cleanDb), poolSize: 10 }),
    TASKER,
    { keepTagged: LEFTOVER_TAG },
  );
  systems.push(clean);
  const left = await createTaskerSystem(LEFT, leftDriver, TASKER, { keepTagged: LEFTOVER_TAG });
  systems.push(left);
  rig = await createSigkillRig(databaseUrl(killDb), { orphans: ORPHANS, backlog: BACKLOG });

  const durability: Record<string, Durability> = {};
  for (const [name, d] of [
    [CLEAN, await clean.durability()],
    [LEFT, await left.durability()],
    [RECOVERY, await rig.durability()],
  ] as const) {
    if (d.fsync !== 'on' || d.synchronousCommit !== 'on')
      throw new Error(`${name} runs with fsync=${d.fsync}, synchronous_commit=${d.synchronousCommit}`);
    durability[name] = d;
  }

  console.log(`leaving ${LEFTOVER} errored tasks behind…`);
  const fill = await leaveErroredTasks(leftDriver, LEFTOVER, TASKER);
  console.log(
    `left ${fill.errored} errored tasks, ${fill.withDueStep} with a due step ` +
      `(submit ${Math.round(fill.submitMs)} ms, run ${Math.round(fill.runMs)} ms): ${JSON.stringify(fill.stepStates)}`,
  );
  // What no run may change: the tasks left behind, their states and their steps' states.
  const leftBehind = JSON.stringify(await describeLeftovers(leftDriver));

  const runs: RawRun[] = [];
  const recoveries: SigkillRound[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? [clean, left] : [left, clean];
    for (const s of order) {
      const { problems, ...r } = await s.run('chains', CHAINS);
      if (s === left) {
        const seen = JSON.stringify(await describeLeftovers(leftDriver));
        if (seen !== leftBehind)
          problems.push(`the run changed the tasks left behind: ${seen}, before ${leftBehind}`);
      }
      console.log(
        `round ${round} ${s.name}: ${Math.round(r.stepsPerSecond)} steps/s` +
          ` (${Math.round(r.runMs)} ms; submit ${Math.round(r.submitMs)} ms)`,
      );
      assertChecked(`round ${round}, ${s.name}, ${CHAINS} chains (${r.steps} steps)`, problems);
      runs.push({ round, system: s.name, ...r });
    }
    const k = await rig.round(round);
    console.log(
      `round ${round} ${RECOVERY}: ${Math.round(k.recoveryMs)} ms (lease end ${Math.round(k.leaseEndMs)} ms ` +
        `after the kill, claims ${k.claimsMs.map(Math.round).join(', ')} ms; ${k.busyClaimsAfter} backlog claims after)`,
    );
    assertChecked(`round ${round}, ${RECOVERY} (${ORPHANS} orphans, ${BACKLOG} busy chains)`, k.problems);
    recoveries.push(k);
  }

  const perRound = (system: string) =>
    new Map(runs.filter((r) => r.system === system).map((r) => [r.round, r.stepsPerSecond]));
  const cleanRuns = perRound(CLEAN);
  const leftRuns = perRound(LEFT);
  const pairs = [...leftRuns].map(([round, v]) => v / (cleanRuns.get(round) as number));
  const measurements: Measurement[] = [
    measurement(
      `chain throughput with ${leftoverCount} errored tasks left behind / without (${CHAINS} 4-step chains, per round)`,
      '×',
      pairs,
      LEFTOVER_RATIO_TARGET,
      'atLeast',
    ),
    measurement(
      RECOVERY,
      'ms',
      recoveries.map((k) => Math.round(k.recoveryMs)),
      RECOVERY_TARGET_MS,
      'atMost',
    ),
    measurement(`${CLEAN}: ${CHAINS} 4-step chains`, 'steps/s', [...cleanRuns.values()].map(Math.round)),
    measurement(`${LEFT}: ${CHAINS} 4-step chains`, 'steps/s', [...leftRuns.values()].map(Math.round)),
    measurement(
      'SIGKILL to the end of the last lease the victim left',
      'ms',
      recoveries.map((k) => Math.round(k.leaseEndMs)),
    ),
    measurement(
      'end of the last lease to the claim of the last orphan',
      'ms',
      recoveries.map((k) => Math.round(k.afterLeaseMs)),
    ),
  ];

  writeThroughputReport({
    subject: 'orchestrator-faults',
    description:
      'Tasker (@tasker/orchestrator) on PostgreSQL under faults (issue #11): chain throughput with errored tasks left ' +
      'behind against a clean database, interleaved in one run, and the time from a SIGKILL of a worker process ' +
      'holding running steps to their takeover by a busy survivor, with the engine’s default settings. Wall-clock ' +
      'time on a shared machine (see the load averages).',
    settings: {
      rounds: ROUNDS,
      chains: CHAINS,
      tasker: {
        ...TASKER,
        poolSize: 10,
        engine: 'defaults otherwise (as in the orchestrator benchmark), counting router backends',
      },
      erroredTasksLeftBehind: {
        tasks: LEFTOVER,
        how: 'bench.diamond@1.0.0 (registered by the measured engine too), made through the engine: left fails with PermanentError while middle and right fail with RetryableError and retryAfter 0 ms',
        submitMs: Math.round(fill.submitMs),
        runMs: Math.round(fill.runMs),
        stepStates: fill.stepStates,
        betweenRuns: 'delete the previous run’s tasks, vacuum analyze (both databases alike)',
      },
      sigkill: {
        orphans: ORPHANS,
        backlogChains: BACKLOG,
        backlogSteps: BACKLOG * BUSY_STEPS,
        busyStepMs: BUSY_MS,
        workerProcesses: 'bench/orchestrator-faults-worker.ts, node --conditions=@tasker/source --import tsx',
        engineDefaults: {
          leaseMs: ENGINE_DEFAULTS.leaseMs,
          tickIntervalMs: ENGINE_DEFAULTS.tickIntervalMs,
          heartbeatIntervalMs: ENGINE_DEFAULTS.heartbeatIntervalMs,
          pollIntervalMs: ENGINE_DEFAULTS.pollIntervalMs,
          batchSize: ENGINE_DEFAULTS.batchSize,
          clockMaxRoundTripMs: ENGINE_DEFAULTS.clockMaxRoundTripMs,
        },
      },
      postgres: serverUrl.replace(/\/\/[^@]*@/, '//'),
    },
    durability: Object.fromEntries(
      Object.entries(durability).map(([k, d]) => [
        k,
        { fsync: d.fsync, synchronousCommit: d.synchronousCommit },
      ]),
    ),
    runs,
    latency: [],
    tables: [
      {
        title: 'Recovery after SIGKILL, every round (ms from the kill, by the database clock)',
        header: [
          'round',
          'orphans',
          'last orphan claimed',
          'each orphan claimed',
          'last lease end',
          'lease end → claim',
          'backlog done before kill',
          'backlog claims after',
          'notes',
        ],
        rows: recoveries.map((k) => [
          String(k.round),
          String(k.orphans),
          String(Math.round(k.recoveryMs)),
          k.claimsMs.map((v) => String(Math.round(v))).join(', '),
          String(Math.round(k.leaseEndMs)),
          String(Math.round(k.afterLeaseMs)),
          String(k.busyCompletedBeforeKill),
          String(k.busyClaimsAfter),
          k.notes.join('; '),
        ]),
        note: `The survivor ran with concurrency ${recoveries[0]?.survivorConcurrency ?? '?'} (the default) and had at least that many backlog steps still to claim after the last orphan in every round.`,
      },
    ],
    data: { recoveries: recoveries.map((k) => ({ ...k, claimsMs: k.claimsMs.map(r1) })) },
    measurements,
    ratios: [],
    before,
    notes: [
      'Throughput: timed from starting the engine until every step is durably complete; tasks are submitted before, timed apart (submit ms). The measurement is the median of the per-round ratios (the two runs of a round are side by side).',
      `After every run on the database with errored tasks, the tasks left behind were counted again: still ${LEFTOVER} errored tasks, each with a due step.`,
      'Recovery: the kill time is the database clock (clock_timestamp()) read just before the SIGKILL; claim times are the transitions’ created_at, the survivor engine’s clock, synced to the database’s within half of clockMaxRoundTripMs.',
      'The victim registers only faults.hang, so at the kill it holds exactly the hanging steps (their first attempt waits for its signal); the kill falls at a random point of its renewal cycle (a random pause of up to one renewal interval before it).',
      'Every run and round passed its checks (every task and step complete exactly once, DAG order kept; every orphan claimed by the victim, expired, claimed by the survivor no earlier than its lease end, then complete); one that fails them fails the benchmark.',
      'A commit marked +dirty means that files were modified in the working tree when the benchmark ran; the benchmark and the engine are those of the commit.',
    ],
  });
} catch (error) {
  if (!(error instanceof BenchCheckError)) throw error;
  console.error(`\nFAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  await rig?.close().catch((e) => console.warn('closing the SIGKILL rounds:', e));
  for (const s of systems) await s.close().catch((e) => console.warn(`closing ${s.name}:`, e));
  await admin(async (c) => {
    for (const d of [cleanDb, leftDb, killDb]) await c.query(`drop database if exists ${d} with (force)`);
  }).catch((e) => console.warn('dropping the benchmark databases:', e));
}
