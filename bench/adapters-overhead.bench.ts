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
 * cost between the engine's event publishing with the router, and the adapters; and a fourth
 * time with no router and a middleware that only does `tracer.startSpan().end()` per step on
 * the same SDK: the floor that the OpenTelemetry SDK's own cost per span puts under any
 * tracing of this workload; and a fifth time with the incumbent: no router, and one middleware
 * that writes the same spans, pino lines and prom-client metrics by hand
 * (`adapters-overhead-hand.ts`), what a team wiring those libraries directly would pay.
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
import { createPostgresDriver, type SqlDriver, TaskStore } from '@tasker/orchestrator';
import { createEventRouter } from '@tasker/router';
import { createTelemetryStack, type TelemetryStack } from './adapters-overhead-stack';
import { CHAINS, CONCURRENCY, type EngineTelemetry, runChains, STEPS } from './adapters-overhead-workload';
import { admin, serverUrl } from './bench-postgres';
import { type Measurement, measurement, type Ratio, writeReport } from './harness';

const PAIRS = Number(process.env.ADAPTERS_BENCH_PAIRS ?? 7);
const LOSS_TARGET = 5; // %

const dbName = `tasker_bench_adapters_${randomBytes(4).toString('hex')}`;

async function adminSql(sql: string): Promise<void> {
  await admin((c) => c.query(sql));
}

type Mode = 'on' | 'off' | 'router' | 'floor' | 'hand';

interface Run {
  readonly pair: number;
  readonly telemetry: Mode;
  readonly runMs: number;
  readonly cpuMs: number;
  readonly stepsPerSecond: number;
  readonly problems: string[];
}

/** The engine's event publishing and the router alone: the default table, every backend a no-op. */
const bareRouter = createEventRouter({
  backends: Object.fromEntries(['trace', 'metrics', 'logs'].map((name) => [name, { name, handle() {} }])),
});

function wiring(mode: Mode, stack: TelemetryStack): EngineTelemetry {
  switch (mode) {
    case 'off':
      return {};
    case 'router':
      return { router: bareRouter };
    case 'floor':
      return { middleware: [stack.bareSpans] };
    case 'hand':
      return { middleware: [stack.hand.middleware] };
    case 'on':
      return {
        router: stack.router,
        middleware: [stack.tracing.middleware],
        traceContext: stack.tracing.traceContext,
      };
  }
}

async function run(
  driver: SqlDriver,
  store: TaskStore,
  pair: number,
  mode: Mode,
  stack: TelemetryStack,
): Promise<Run> {
  const before = await stack.counts();
  const handBefore = await stack.hand.stepsCounted();
  const r = await runChains(driver, store, wiring(mode, stack));
  const problems = [...r.problems];
  const after = await stack.counts();
  const spans = after.spans - before.spans;
  if (mode === 'on') {
    // One span per attempt and one root per task.
    if (spans < STEPS + CHAINS) problems.push(`${spans} spans exported, expected ${STEPS + CHAINS}`);
    if (after.stepsCounted - before.stepsCounted !== STEPS)
      problems.push(`${after.stepsCounted - before.stepsCounted} steps counted, expected ${STEPS}`);
    if (after.logLines - before.logLines < STEPS)
      problems.push(`${after.logLines - before.logLines} log lines`);
  } else if (mode === 'floor' && spans !== STEPS)
    problems.push(`${spans} bare spans exported, expected ${STEPS}`);
  else if (mode === 'hand') {
    if (spans !== STEPS + CHAINS)
      problems.push(`${spans} hand-wired spans exported, expected ${STEPS + CHAINS}`);
    const counted = (await stack.hand.stepsCounted()) - handBefore;
    if (counted !== STEPS) problems.push(`${counted} steps counted by hand, expected ${STEPS}`);
    if (after.logLines - before.logLines !== STEPS + CHAINS)
      problems.push(`${after.logLines - before.logLines} hand-wired log lines, expected ${STEPS + CHAINS}`);
  }
  return {
    pair,
    telemetry: mode,
    runMs: r.runMs,
    cpuMs: r.cpuMs,
    stepsPerSecond: r.stepsPerSecond,
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
  // One untimed round first: JIT, prepared statements, the SDK's first spans.
  for (const mode of ['off', 'floor', 'hand', 'on'] as const) await run(driver, store, 0, mode, stack);
  const runs: Run[] = [];
  for (let pair = 1; pair <= PAIRS; pair++) {
    const order: readonly Mode[] =
      pair % 2 === 1 ? ['on', 'router', 'floor', 'hand', 'off'] : ['off', 'hand', 'floor', 'router', 'on'];
    for (const mode of order) {
      const r = await run(driver, store, pair, mode, stack);
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
      floor: runs.find((r) => r.pair === pair && r.telemetry === 'floor') as Run,
      hand: runs.find((r) => r.pair === pair && r.telemetry === 'hand') as Run,
    }))
    .filter((p) => [p.on, p.off, p.router, p.floor, p.hand].every((r) => r.problems.length === 0));
  const ratios = valid.map((p) => p.on.stepsPerSecond / p.off.stepsPerSecond);
  const losses = ratios.map((r) => (1 - r) * 100);
  const wallUs = valid.map((p) => ((p.on.runMs - p.off.runMs) * 1000) / STEPS);
  const cpuUs = valid.map((p) => ((p.on.cpuMs - p.off.cpuMs) * 1000) / STEPS);
  const routerCpuUs = valid.map((p) => ((p.router.cpuMs - p.off.cpuMs) * 1000) / STEPS);
  const adaptersCpuUs = valid.map((p) => ((p.on.cpuMs - p.router.cpuMs) * 1000) / STEPS);
  const routerRatios = valid.map((p) => p.router.stepsPerSecond / p.off.stepsPerSecond);
  const floorLosses = valid.map((p) => (1 - p.floor.stepsPerSecond / p.off.stepsPerSecond) * 100);
  const floorCpuUs = valid.map((p) => ((p.floor.cpuMs - p.off.cpuMs) * 1000) / STEPS);
  const handLosses = valid.map((p) => (1 - p.hand.stepsPerSecond / p.off.stepsPerSecond) * 100);
  const handCpuUs = valid.map((p) => ((p.hand.cpuMs - p.off.cpuMs) * 1000) / STEPS);
  const onOverHand = valid.map((p) => p.on.stepsPerSecond / p.hand.stepsPerSecond);
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
      'floor: throughput loss with only a bare tracer.startSpan().end() per step, same SDK (per pair)',
      '%',
      floorLosses,
    ),
    measurement('floor: its cost per step, this process’s CPU time', 'µs', floorCpuUs),
    measurement(
      'hand-wired: throughput loss with the same spans, log lines and metrics written by hand (OpenTelemetry, pino, prom-client in one middleware), per pair',
      '%',
      handLosses,
    ),
    measurement('hand-wired: its cost per step, this process’s CPU time', 'µs', handCpuUs),
    measurement(
      'chain throughput, Tasker’s full stack / the same telemetry wired by hand (per pair)',
      '×',
      onOverHand,
    ),
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
      'tracing middleware and submit hook) and off, in interleaved rounds that also run the router with no-op backends, and the floor ' +
      '(a middleware that only starts and ends one bare span per step on the same SDK), and the same telemetry wired by hand ' +
      '(one middleware writing the same spans, pino lines and prom-client metrics directly); wall-clock throughput from start() to the last step durably complete.',
    groups: [],
    ratios: [
      ratio,
      {
        label: 'chain throughput, Tasker’s full stack / the same telemetry wired by hand (median of pairs)',
        numerator: 'telemetry on (Tasker)',
        denominator: 'hand-wired (OpenTelemetry, pino, prom-client)',
        value: (measurements.find((m) => m.label.startsWith('chain throughput, Tasker')) as Measurement)
          .median,
      },
    ],
    measurements,
    notes: [
      `${valid.length} valid rounds of ${PAIRS}; the order within a round alternates (odd rounds: on, router, floor, hand, off; even rounds the reverse).`,
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
