/**
 * The workload of the adapters-overhead benchmark and its profile: #5's chain workload (4-step
 * chains, 32 slots, batch 32) on PostgreSQL, one run from `start()` to the last step durably
 * complete, with whatever telemetry the caller wires into the engine.
 */
import {
  createTasker,
  defineTask,
  type SqlDriver,
  type StepHandler,
  type TaskerOptions,
  type TaskStore,
} from '@tasker/orchestrator';

export const CHAINS = Number(process.env.ADAPTERS_BENCH_CHAINS ?? 1_500);
export const STEPS = CHAINS * 4;
export const CONCURRENCY = 32;

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

/** What a run wires into the engine: nothing (telemetry off), a router, middleware, a submit hook. */
export type EngineTelemetry = Pick<TaskerOptions, 'router' | 'middleware' | 'traceContext'>;

export interface ChainRun {
  readonly runMs: number;
  /** This process's CPU time during the run. */
  readonly cpuMs: number;
  readonly stepsPerSecond: number;
  /** Empty when every step completed once. */
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

/**
 * Submits {@link CHAINS} chains, then times the engine running them all. `around` is called
 * just before `start()` and awaited once the last step is complete (a profiler's start/stop).
 */
export async function runChains(
  driver: SqlDriver,
  store: TaskStore,
  telemetry: EngineTelemetry,
  around?: { start(): void; stop(): Promise<void> },
): Promise<ChainRun> {
  await driver.exec('truncate tasker.tasks cascade');
  const tasker = createTasker({
    store,
    tasks: [chain],
    config: {
      execution: { concurrency: CONCURRENCY },
      // A short poll interval in every mode: a missed wake-up then costs 50 ms, not a second.
      engine: { batchSize: 32, pollIntervalMs: 50 },
      telemetry: { queryEvents: false },
    },
    ...telemetry,
  });
  await inParallel(CHAINS, 8, (i) =>
    tasker.submit({ namespace: 'bench', name: 'chain', version: '1.0.0', context: { i } }),
  );
  await driver.exec('analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
  around?.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await tasker.start();
  while (tasker.stats().completed < STEPS) await new Promise((r) => setTimeout(r, 1));
  const runMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await around?.stop();
  await tasker.stop();
  const problems: string[] = [];
  const done = (
    await driver.query<{ n: number }>(`select count(*)::int as n from tasker.steps where state = 'complete'`)
  ).rows[0]?.n;
  if (done !== STEPS) problems.push(`${done} of ${STEPS} steps complete`);
  return {
    runMs,
    cpuMs: (used.user + used.system) / 1000,
    stepsPerSecond: STEPS / (runMs / 1000),
    problems,
  };
}
