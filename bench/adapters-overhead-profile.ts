/**
 * Where the adapters' time goes: the adapters-overhead workload with the full telemetry stack,
 * profiled with V8's sampling CPU profiler (the one behind `--cpu-prof`) over the engine's run
 * only, then every sample charged to the telemetry part it ran in. The part is the innermost
 * frame on the stack that belongs to one of: the engine's event publishing, the router, the
 * tracing middleware, the trace / metrics / logs backends, or the engine itself (the handler
 * and everything else the middleware calls); library frames (OpenTelemetry SDK, pino,
 * metrics-native, Node) are charged to the part that called them, and split out as "in".
 * Garbage collection is on no stack and is reported apart, as is the (on − off) CPU time.
 *
 * Run: `node --conditions=@tasker/source --import tsx bench/adapters-overhead-profile.ts`
 * (`ADAPTERS_PROFILE_RUNS`, default 3; `ADAPTERS_BENCH_CHAINS`, default 1500).
 */
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { createPostgresDriver, TaskStore } from '@tasker/orchestrator';
import { createTelemetryStack } from './adapters-overhead-stack';
import { type ChainRun, runChains, STEPS } from './adapters-overhead-workload';
import { admin, databaseUrl } from './bench-postgres';

const RUNS = Number(process.env.ADAPTERS_PROFILE_RUNS ?? 3);
const INTERVAL_US = 250;
/** With `ADAPTERS_PROFILE_TOP=n`, the n functions whose time grew most, with their part. */
const TOP = Number(process.env.ADAPTERS_PROFILE_TOP ?? 0);
const FUNCTIONS = '(functions)';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const PARTS: readonly [RegExp, string][] = [
  [/orchestrator\/src\/engine\/event-publisher/, 'engine: event publishing (payloads)'],
  [/orchestrator\/src\//, 'engine (not telemetry)'],
  [/router\/src\//, 'router'],
  [/adapters\/src\/otel\/step-middleware/, 'tracing middleware'],
  [/adapters\/src\/otel\/task-trace-backend/, 'trace backend'],
  [/adapters\/src\/otel\/task-tracing/, 'tracing submit hook'],
  [/adapters\/src\/native\//, 'native metrics backend'],
  [/adapters\/src\/logs\//, 'logs backend'],
];

function partOf(url: string): string | undefined {
  for (const [re, part] of PARTS) if (re.test(url)) return part;
  return undefined;
}

function libraryOf(url: string, name: string): string {
  if (/@opentelemetry\//.test(url)) return 'OTel SDK/API';
  if (
    /\/(pino|pino-std-serializers|sonic-boom|quick-format-unescaped|fast-redact|safe-stable-stringify)\//.test(
      url,
    )
  )
    return 'pino';
  if (/metrics-native\/src\//.test(url)) return 'metrics-native';
  if (/adapters\/src\//.test(url)) return 'adapters code';
  if (/router\/src\//.test(url)) return 'router code';
  if (/orchestrator\/src\//.test(url)) return 'engine code';
  return name === '(garbage collector)' ? 'GC' : 'Node/V8';
}

/** Microseconds per part and, within it, per library, from one profile. */
function charge(profile: Profile, into: Map<string, Map<string, number>>): void {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const leaf = byId.get(profile.samples[i] as number) as ProfileNode;
    const us = profile.timeDeltas[i + 1] ?? 0; // a sample's time is the delta to the next one
    let part: string | undefined;
    let libraries = '';
    for (let id: number | undefined = leaf.id; id !== undefined && part === undefined; id = parent.get(id)) {
      const f = (byId.get(id) as ProfileNode).callFrame;
      part = partOf(f.url);
      libraries += `${libraryOf(f.url, f.functionName)} `;
    }
    const name = leaf.callFrame.functionName;
    if (part === undefined) {
      if (name === '(idle)' || name === '(program)') continue;
      if (name === '(garbage collector)') part = 'garbage collection';
      else if (libraries.includes('OTel')) part = 'OTel SDK on its own (batch processor, export)';
      else if (libraries.includes('pino')) part = 'pino on its own';
      else part = 'other (Node, pg, timers)';
    }
    const lib = libraryOf(leaf.callFrame.url, name);
    if (TOP > 0) {
      const key = `${part}: ${name || '(anonymous)'} ${leaf.callFrame.url.replace(/.*node_modules\//, '')}`;
      const f = into.get(FUNCTIONS) ?? new Map<string, number>();
      f.set(key, (f.get(key) ?? 0) + us);
      into.set(FUNCTIONS, f);
    }
    const m = into.get(part) ?? new Map<string, number>();
    m.set(lib, (m.get(lib) ?? 0) + us);
    into.set(part, m);
  }
}

const dbName = `tasker_bench_profile_${randomBytes(4).toString('hex')}`;
await admin((c) => c.query(`create database ${dbName}`));
const driver = await createPostgresDriver({ connectionString: databaseUrl(dbName), poolSize: 10 });
const store = new TaskStore(driver);
const stack = createTelemetryStack();
const session = new Session();
session.connect();
try {
  await store.migrate();
  const on = {
    router: stack.router,
    middleware: [stack.tracing.middleware],
    traceContext: stack.tracing.traceContext,
  };
  await runChains(driver, store, {});
  await runChains(driver, store, on);
  const parts = new Map<string, Map<string, number>>();
  const offParts = new Map<string, Map<string, number>>();
  const profiled = (into: Map<string, Map<string, number>>) => ({
    start: () => void session.post('Profiler.start'),
    stop: async () => charge((await session.post('Profiler.stop')).profile as Profile, into),
  });
  const ons: ChainRun[] = [];
  const offs: ChainRun[] = [];
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: INTERVAL_US });
  for (let r = 0; r < RUNS; r++) {
    offs.push(await runChains(driver, store, {}, profiled(offParts)));
    ons.push(await runChains(driver, store, on, profiled(parts)));
  }
  const steps = STEPS * RUNS;
  const perStep = (us: number) => (us / steps).toFixed(2);
  const sum = (libs: Map<string, number> | undefined) =>
    [...(libs ?? new Map()).values()].reduce((a, b) => a + b, 0);
  const fOn = parts.get(FUNCTIONS) ?? new Map<string, number>();
  const fOff = offParts.get(FUNCTIONS) ?? new Map<string, number>();
  parts.delete(FUNCTIONS);
  offParts.delete(FUNCTIONS);
  const rows = [...new Set([...parts.keys(), ...offParts.keys()])]
    .map((part) => ({
      part,
      libs: parts.get(part) ?? new Map<string, number>(),
      on: sum(parts.get(part)),
      off: sum(offParts.get(part)),
    }))
    .sort((a, b) => b.on - b.off - (a.on - a.off));
  console.log(
    `${RUNS} profiled runs each of ${STEPS} steps, full stack on and telemetry off, sampled every ${INTERVAL_US} µs; CPU µs per step:`,
  );
  console.log('    on − off        on       off  part  (on: where)');
  for (const { part, libs, on: a, off: b } of rows) {
    const split = [...libs]
      .sort((x, y) => y[1] - x[1])
      .map(([lib, us]) => `${lib} ${perStep(us)}`)
      .join(', ');
    console.log(
      `${perStep(a - b).padStart(10)}  ${perStep(a).padStart(8)}  ${perStep(b).padStart(8)}  ${part}  (${split})`,
    );
  }
  if (TOP > 0) {
    console.log(`functions whose time grew most (on − off, µs per step):`);
    for (const [key, us] of [...fOn]
      .map(([k, v]) => [k, v - (fOff.get(k) ?? 0)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP))
      console.log(`${perStep(us).padStart(8)}  ${key}`);
  }
  const cpu = (runs: ChainRun[]) => runs.reduce((a, r) => a + r.cpuMs, 0) * 1000;
  console.log(
    `process CPU per step (both profiled): on ${perStep(cpu(ons))}, off ${perStep(cpu(offs))}, on − off ${perStep(cpu(ons) - cpu(offs))}`,
  );
  const problems = [...ons, ...offs].flatMap((r) => r.problems);
  if (problems.length > 0) console.log(`VOID: ${problems.join('; ')}`);
} finally {
  session.disconnect();
  await stack.shutdown();
  await store.close();
  await admin((c) => c.query(`drop database if exists ${dbName} with (force)`));
}
