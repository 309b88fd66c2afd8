/**
 * What the adapters cost the engine (issue #7): #5's chain workload (4-step chains, 32 slots,
 * batch 32) on the local PostgreSQL, run in pairs: once with the full telemetry stack on (the
 * router's default table to OpenTelemetry traces with the real SDK, native metrics and pino
 * logs to a null sink, plus the tracing middleware and submit hook; see
 * `adapters-overhead-stack.ts`), once with telemetry off (no router, no middleware). The two
 * runs of a pair follow each other, in alternating order, so drift on a shared machine hits
 * both alike.
 *
 * Each pair also runs a third time with the router on and every backend a no-op, to split the
 * cost between the engine's event publishing with the router, and the adapters.
 *
 * Reported: the throughput ratio on/off of each pair (its median and spread), the throughput
 * loss, and the telemetry cost per step, both in wall time ((on − off) / steps) and in this
 * process's CPU time (the database's work is in its own process, so the CPU difference is
 * the adapters' and the router's). Target: ≤ 5 % throughput loss at the median.
 *
 * Every run checks itself: every step complete once; an "on" run also checks that telemetry
 * ran (spans exported, steps counted, lines logged). Run: `npx -y pnpm@10.34.9 bench adapters-overhead`.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  createPostgresDriver,
  createTasker,
  defineTask,
  type SqlDriver,
  type StepHandler,
  TaskStore,
} from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import { createTelemetryStack, type TelemetryStack } from './adapters-overhead-stack';
import { admin, serverUrl } from './bench-postgres';
import { type Measurement, measurement, type Ratio, writeReport } from './harness';

const PAIRS = Number(process.env.ADAPTERS_BENCH_PAIRS ?? 7);
const CHAINS = Number(process.env.ADAPTERS_BENCH_CHAINS ?? 1_500);
const STEPS = CHAINS * 4;
const CONCURRENCY = 32;
const LOSS_TARGET = 5; // %

const dbName = `tasker_bench_adapters_${randomBytes(4).toString('hex')}`;

async function adminSql(sql: string): Promise<void> {
  await admin((c) => c.query(sql));
}

const handler: StepHandler = (ctx) => ctx.attempt;
const chain = defineTask({
  namespace: 'bench',
  name: 'chain',
  version: '1.0.0',
  steps: [
    { name: 's1', handler },
    { name: 's2', handler, dependsOn: ['s1'] },
    { name: 's3', handler, dependsOn: ['s2'] },
    { name: 's4', handler, dependsOn: ['s3'] },
  ],
});

type Mode = 'on' | 'off' | 'router';

interface Run {
  readonly pair: number;
  readonly telemetry: Mode;
  readonly runMs: number;
  readonly cpuMs: number;
  readonly stepsPerSecond: number;
  readonly problems: string[];
}

async function inParallel(count: number, lanes: number, body: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await body(next++);
    }),
  );
}

/** The engine's event publishing and the router alone: the default table, every backend a no-op. */
const bareRouter = createEventRouter({
  backends: Object.fromEntries(['trace', 'metrics', 'logs'].map((name) => [name, { name, handle() {} }])),
});

async function run(
  driver: SqlDriver,
  store: TaskStore,
  pair: number,
  stack: TelemetryStack | undefined | 'router',
): Promise<Run> {
  await driver.exec('truncate tasker.tasks cascade');
  const before = stack === undefined || stack === 'router' ? undefined : await stack.counts();
  const tasker = createTasker({
    store,
    tasks: [chain],
    config: {
      execution: { concurrency: CONCURRENCY },
      // A short poll interval in both modes: a missed wake-up then costs 50 ms, not a second.
      engine: { batchSize: 32, pollIntervalMs: 50 },
      telemetry: { queryEvents: false },
    },
    ...(stack === undefined
      ? {}
      : stack === 'router'
        ? { router: bareRouter }
        : {
            router: stack.router,
            middleware: [stack.tracing.middleware],
            traceContext: stack.tracing.traceContext,
          }),
  });
  await inParallel(CHAINS, 8, (i) =>
    tasker.submit({ namespace: 'bench', name: 'chain', version: '1.0.0', context: { i } }),
  );
  await driver.exec('analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
  const cpu = process.cpuUsage();
  const started = performance.now();
  await tasker.start();
  while (tasker.stats().completed < STEPS) await new Promise((r) => setTimeout(r, 1));
  const runMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await tasker.stop();
  const problems: string[] = [];
  const done = (
    await driver.query<{ n: number }>(`select count(*)::int as n from tasker.steps where state = 'complete'`)
  ).rows[0]?.n;
  if (done !== STEPS) problems.push(`${done} of ${STEPS} steps complete`);
  if (stack !== undefined && stack !== 'router' && before !== undefined) {
    const after = await stack.counts();
    const spans = after.spans - before.spans;
    // One span per attempt and one root per task.
    if (spans < STEPS + CHAINS) problems.push(`${spans} spans exported, expected ${STEPS + CHAINS}`);
    if (after.stepsCounted - before.stepsCounted !== STEPS)
      problems.push(`${after.stepsCounted - before.stepsCounted} steps counted, expected ${STEPS}`);
    if (after.logLines - before.logLines < STEPS)
      problems.push(`${after.logLines - before.logLines} log lines`);
  }
  return {
    pair,
    telemetry: stack === undefined ? 'off' : stack === 'router' ? 'router' : 'on',
    runMs,
    cpuMs: (used.user + used.system) / 1000,
    stepsPerSecond: STEPS / (runMs / 1000),
    problems,
  };
}

const loadBefore = os.loadavg().map((v) => Math.round(v * 100) / 100);
await adminSql(`create database ${dbName}`);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;
const driver = await createPostgresDriver({ connectionString: url.toString(), poolSize: 10 });
const store = new TaskStore(driver);
const stack = createTelemetryStack();
try {
  await store.migrate();
  // One untimed pair first: JIT, prepared statements, the SDK's first spans.
  await run(driver, store, 0, undefined);
  await run(driver, store, 0, stack);
  const runs: Run[] = [];
  for (let pair = 1; pair <= PAIRS; pair++) {
    const order =
      pair % 2 === 1 ? ([stack, 'router', undefined] as const) : ([undefined, 'router', stack] as const);
    for (const s of order) {
      const r = await run(driver, store, pair, s);
      runs.push(r);
      console.log(
        `pair ${pair} telemetry ${r.telemetry}: ${Math.round(r.stepsPerSecond)} steps/s (${Math.round(r.runMs)} ms, CPU ${Math.round(r.cpuMs)} ms)` +
          (r.problems.length > 0 ? ` VOID: ${r.problems.join('; ')}` : ''),
      );
    }
  }
  const valid = [...Array(PAIRS).keys()]
    .map((i) => i + 1)
    .map((pair) => ({
      pair,
      on: runs.find((r) => r.pair === pair && r.telemetry === 'on') as Run,
      off: runs.find((r) => r.pair === pair && r.telemetry === 'off') as Run,
      router: runs.find((r) => r.pair === pair && r.telemetry === 'router') as Run,
    }))
    .filter(
      (p) => p.on.problems.length === 0 && p.off.problems.length === 0 && p.router.problems.length === 0,
    );
  const ratios = valid.map((p) => p.on.stepsPerSecond / p.off.stepsPerSecond);
  const losses = ratios.map((r) => (1 - r) * 100);
  const wallUs = valid.map((p) => ((p.on.runMs - p.off.runMs) * 1000) / STEPS);
  const cpuUs = valid.map((p) => ((p.on.cpuMs - p.off.cpuMs) * 1000) / STEPS);
  const routerCpuUs = valid.map((p) => ((p.router.cpuMs - p.off.cpuMs) * 1000) / STEPS);
  const adaptersCpuUs = valid.map((p) => ((p.on.cpuMs - p.router.cpuMs) * 1000) / STEPS);
  const routerRatios = valid.map((p) => p.router.stepsPerSecond / p.off.stepsPerSecond);
  const sorted = [...ratios].sort((a, b) => a - b);
  const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] as number;
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  const measurements: Measurement[] = [
    measurement(
      'throughput ratio, telemetry on / off (per pair)',
      '×',
      ratios,
      1 - LOSS_TARGET / 100,
      'atLeast',
    ),
    measurement('throughput loss with telemetry on (per pair)', '%', losses, LOSS_TARGET, 'atMost'),
    measurement('telemetry cost per step, wall time ((on − off) / steps)', 'µs', wallUs),
    measurement('telemetry cost per step, this process’s CPU time', 'µs', cpuUs),
    measurement(
      'of which the engine’s event publishing and the router (no-op backends), CPU',
      'µs',
      routerCpuUs,
    ),
    measurement('of which the adapters (backends, middleware, SDK), CPU', 'µs', adaptersCpuUs),
    measurement('throughput ratio, router with no-op backends / off (per pair)', '×', routerRatios),
    measurement(
      'throughput, telemetry off',
      'steps/s',
      valid.map((p) => Math.round(p.off.stepsPerSecond)),
    ),
    measurement(
      'throughput, telemetry on',
      'steps/s',
      valid.map((p) => Math.round(p.on.stepsPerSecond)),
    ),
  ];
  const median = measurements[0] as Measurement;
  const ratio: Ratio = {
    label: 'chain throughput, telemetry on / off (median of pairs)',
    numerator: 'telemetry on',
    denominator: 'telemetry off',
    value: median.median,
    target: 1 - LOSS_TARGET / 100,
    direction: 'atLeast',
    meetsTarget: median.median >= 1 - LOSS_TARGET / 100,
  };
  writeReport({
    subject: 'adapters-overhead',
    description:
      `The engine's chain workload (${CHAINS} 4-step chains, ${CONCURRENCY} slots) on PostgreSQL, with the full telemetry stack on ` +
      '(router default table → OpenTelemetry traces with the real SDK and a batch processor, native metrics, pino logs to a null sink; ' +
      'tracing middleware and submit hook) and off, in interleaved pairs; wall-clock throughput from start() to the last step durably complete.',
    groups: [],
    ratios: [ratio],
    measurements,
    notes: [
      `${valid.length} valid pairs of ${PAIRS}; the order within a pair alternates (odd pairs: on first).`,
      `Spread of the ratio: min ${r3(sorted[0] as number)}, interquartile ${r3(q(0.25))}–${r3(q(0.75))}, max ${r3(sorted[sorted.length - 1] as number)}.`,
      `Load average before: ${loadBefore.join(' / ')}; after: ${os
        .loadavg()
        .map((v) => Math.round(v * 100) / 100)
        .join(' / ')} (2 shared cores).`,
      `Every run: ${JSON.stringify(runs.map((r) => ({ pair: r.pair, telemetry: r.telemetry, ms: Math.round(r.runMs), cpuMs: Math.round(r.cpuMs), stepsPerSecond: Math.round(r.stepsPerSecond), problems: r.problems })))}`,
    ],
  });
} finally {
  await stack.shutdown();
  await store.close();
  await adminSql(`drop database if exists ${dbName} with (force)`).catch((e) =>
    console.warn('dropping the database:', e),
  );
}
