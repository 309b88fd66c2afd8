/**
 * The retention part of the operations benchmark (issue #13): the chain throughput of an engine
 * while the retention sweep works through 200,000 due finished tasks, against the same workload
 * without a sweep, in one process on one database.
 *
 * - {@link fillFinishedChains}: the finished tasks, complete 4-step chains created in November
 *   2023 (`insertCompletedChains`: task, 4 steps, 3 edges, 15 transitions each), written by a
 *   connection with `session_replication_role = replica` so that the foreign-key triggers do not
 *   check millions of rows that are consistent by construction (three times faster), then
 *   `vacuum analyze`, as autovacuum would have left them.
 * - {@link createChainRunner}: the orchestrator benchmark's chain run (`orchestrator-tasker.ts`)
 *   on a database that is not emptied, cleared as that run clears one that keeps tasks: the
 *   previous run's tasks (namespace `bench`) are deleted and the tables vacuumed and analyzed;
 *   then `count` chains are submitted with the workers stopped, the tables analyzed, and a new
 *   engine is timed from `start()` until it has completed every step. Each run is checked
 *   against the audit trail, its own tasks only (`auditRun` with the namespace).
 * - {@link sweepRounds}: rounds of two chain runs in alternating order, one without a sweep and
 *   one during a sweep run; each round's sweep run goes on from where the previous one stopped.
 *
 * The sweep runs in the benchmark's process on a pool of its own: one connection, kept for every
 * round (so that its plan cache lasts, as on an engine's busy pool, and can be read afterwards). {@link probeBatchPlans} times one batch of its
 * statement under each plan PostgreSQL may choose for it, rolled back.
 */
import {
  createPostgresDriver,
  createTasker,
  parseConfig,
  type RetentionRunResult,
  runRetention,
  type SqlDriver,
  type StepHandler,
  type Tasker,
  type TaskerConfigInput,
  TaskStore,
} from '@tasker/orchestrator';
import type { RouterBackend } from '@tasker/router';
import { createEventRouter } from '@tasker/router';
import pg from 'pg';
import { sweepBatch as SWEEP_BATCH } from '../packages/orchestrator/src/store/sql/retention';
import { insertCompletedChains } from '../packages/orchestrator/test/support/bulk-tasks';
import { auditRun, type QueryRows } from './orchestrator-audit';
import { STALL_MS, waitWhileProgressing } from './orchestrator-system';
import { benchDefinitions, type TaskerBenchSettings } from './orchestrator-tasker';

/** The namespace `insertCompletedChains` writes its tasks in. */
export const BULK_NAMESPACE = 'bulk';
/** Rows of one bulk chain: 1 task, 4 steps, 3 edges, 15 transitions. */
export const BULK_ROWS = { steps: 4, edges: 3, transitions: 15 } as const;
const DAY_MS = 86_400_000;

const inParallel = async (count: number, parallelism: number, body: (i: number) => Promise<unknown>) => {
  let next = 0;
  const lane = async () => {
    while (next < count) await body(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, count) }, lane));
};

/** How a fill went. */
export interface Fill {
  readonly tasks: number;
  readonly fillMs: number;
  readonly vacuumMs: number;
  /** False when the server refused `session_replication_role` (the triggers then ran). */
  readonly triggersSkipped: boolean;
}

/**
 * Adds `count` complete 4-step chains of November 2023 to the database at `url` and settles the
 * tables (`vacuum analyze`).
 */
export async function fillFinishedChains(url: string, count: number): Promise<Fill> {
  const loader = new pg.Client({ connectionString: url });
  await loader.connect();
  try {
    let triggersSkipped = true;
    await loader.query('set session_replication_role = replica').catch(() => {
      triggersSkipped = false;
    });
    const filling = performance.now();
    await insertCompletedChains((text) => loader.query(text), count);
    const fillMs = performance.now() - filling;
    await loader.query('set session_replication_role = origin').catch(() => {});
    const vacuuming = performance.now();
    await loader.query('vacuum analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
    return { tasks: count, fillMs, vacuumMs: performance.now() - vacuuming, triggersSkipped };
  } finally {
    await loader.end();
  }
}

/** One timed chain run; `startedAt` and `endedAt` bound its timed part (`performance.now()`). */
export interface ChainRun {
  readonly tasks: number;
  readonly steps: number;
  readonly submitMs: number;
  readonly runMs: number;
  readonly stepsPerSecond: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly problems: string[];
  readonly notes: string[];
}

export interface ChainRunner {
  run(count: number): Promise<ChainRun>;
}

/**
 * The chain run of the orchestrator benchmark on `store` (see the module comment): its
 * definitions, engine settings and counting router backends, a fresh engine per run.
 */
export function createChainRunner(
  driver: SqlDriver,
  store: TaskStore,
  settings: TaskerBenchSettings,
): ChainRunner {
  const executions = new Map<string, number>();
  const handler: StepHandler = (ctx) => {
    executions.set(ctx.stepId, (executions.get(ctx.stepId) ?? 0) + 1);
    return ctx.attempt;
  };
  const { chain } = benchDefinitions(handler);
  const errors: string[] = [];
  let events = 0;
  const counting = (name: string): RouterBackend => ({
    name,
    handle: () => {
      events++;
    },
  });
  const router = createEventRouter({ backends: { trace: counting('trace'), metrics: counting('metrics') } });
  const engine = (): Tasker =>
    createTasker({
      store,
      router,
      tasks: [chain],
      config: {
        execution: { concurrency: settings.concurrency },
        engine: { batchSize: settings.batchSize },
      },
      onError: (error, during) => errors.push(`${during}: ${(error as Error).message}`),
    });
  const rows: QueryRows = async <Row>(text: string, params?: readonly unknown[]) =>
    (await driver.query<Row>(text, params)).rows;

  return {
    async run(count: number): Promise<ChainRun> {
      // Steps, edges and transitions go with their task (on delete cascade).
      await driver.query('delete from tasker.tasks where namespace = $1', [chain.namespace]);
      await driver.exec('vacuum analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
      executions.clear();
      errors.length = 0;
      events = 0;
      const tasker = engine();
      const submitting = performance.now();
      await inParallel(count, settings.submitParallelism, (i) =>
        tasker.submit({
          namespace: chain.namespace,
          name: chain.name,
          version: chain.version,
          context: { i },
        }),
      );
      const submitMs = performance.now() - submitting;
      await driver.exec('analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
      const steps = count * 4;
      const startedAt = performance.now();
      await tasker.start();
      const finished = await waitWhileProgressing(
        () => tasker.stats().completed,
        (completed) => completed >= steps,
      );
      const endedAt = performance.now();
      const completed = tasker.stats().completed;
      await tasker.stop();
      const problems = await auditRun(rows, { tasks: count, steps }, { namespace: chain.namespace });
      if (!finished)
        problems.unshift(`stalled at ${completed} of ${steps} step completions (none for ${STALL_MS} ms)`);
      const reruns = [...executions.values()].filter((n) => n !== 1).length;
      const runMs = endedAt - startedAt;
      return {
        tasks: count,
        steps,
        submitMs,
        runMs,
        stepsPerSecond: steps / (runMs / 1000),
        startedAt,
        endedAt,
        problems,
        notes: [
          `${events} events routed`,
          ...(reruns > 0 ? [`${reruns} steps ran more than once (at-least-once; one completion each)`] : []),
          ...errors.slice(0, 5),
        ],
      };
    },
  };
}

/** Whether a chain run had a sweep run going on through it. */
export type Phase = 'without' | 'during';

/** One batch of the sweep, as the benchmark saw it call the store. */
export interface SweepBatch {
  /** The round whose sweep run it belongs to. */
  readonly round: number;
  /** From the start of that sweep run, ms. */
  readonly atMs: number;
  readonly limit: number;
  readonly tasks: number;
  readonly ms: number;
  /** The batch failed (its statement timed out, for example): the error code. */
  readonly error?: string;
}

/** The sweep run of one round. */
export interface SweepRun extends Omit<RetentionRunResult, 'byRule'> {
  readonly round: number;
  /** From its start to its end, ms (it ends at the first check after the chain run ended). */
  readonly ms: number;
}

/** One variant's rounds: its runs, its sweep runs and what the database says about them. */
export interface SweepRounds {
  readonly runs: (ChainRun & { readonly round: number; readonly phase: Phase })[];
  readonly sweeps: SweepRun[];
  /** Every sweep run together. */
  readonly sweep: {
    readonly tasks: number;
    readonly transitions: number;
    readonly batches: number;
    readonly ms: number;
  };
  /** Bulk tasks due before the first round and left after the last. */
  readonly dueBefore: number;
  readonly leftAfter: number;
  readonly batches: SweepBatch[];
  /** The sweep connection's plan cache for the batch statement, read after the last round. */
  readonly planCache: { readonly customPlans: number; readonly genericPlans: number } | undefined;
  /**
   * The plan that connection would run the next batch with (`EXPLAIN EXECUTE` of its prepared
   * statement at the policy's batch size), read after the last round.
   */
  readonly plan: string[];
  readonly planCacheMode: string;
  readonly policy: {
    batchSize: number;
    batchTimeMs: number;
    pauseMs: number;
    dutyCycle: number;
    maxRunMs: number;
  };
  readonly problems: string[];
}

/** What {@link sweepRounds} needs. */
export interface SweepRoundsOptions {
  /** The database's URL for the sweep's own connection. */
  readonly sweepUrl: string;
  /** Retention settings other than their defaults (`keepMs` is the benchmark's: 1 day). */
  readonly retention?: Omit<NonNullable<TaskerConfigInput['retention']>, 'keepMs'>;
  /** Chains per run. */
  readonly chains: number;
  readonly rounds: number;
  /** Prints progress. */
  readonly log: (line: string) => void;
}

const countBulk = async (driver: SqlDriver) =>
  Number(
    (
      await driver.query<{ n: number }>('select count(*)::int as n from tasker.tasks where namespace = $1', [
        BULK_NAMESPACE,
      ])
    ).rows[0]?.n,
  );

/**
 * Rounds of two chain runs, in an order that alternates: one without a sweep, and one during a
 * sweep run of the bulk tasks (`keepMs.complete`: 1 day, every other retention setting its
 * default unless given). That sweep run starts before the chain run clears the database and
 * submits, and is stopped (`stopping`, checked between batches) once the chain run's timed part
 * has ended; the next round's run goes on from where it stopped, as a run cut off by `maxRunMs`
 * is followed by the next. The sweep runs on one connection of its own, kept for every round.
 */
export async function sweepRounds(
  driver: SqlDriver,
  runner: ChainRunner,
  options: SweepRoundsOptions,
): Promise<SweepRounds> {
  const { chains, log } = options;
  const runs: SweepRounds['runs'] = [];
  const sweeps: SweepRun[] = [];
  const problems: string[] = [];
  const policy = parseConfig({
    retention: { ...options.retention, keepMs: { complete: DAY_MS } },
  }).retention;
  // One connection, never closed for being idle (pg's default closes it after 10 s, and with it
  // its prepared statements): an engine's busy pool keeps its connections, and the sweep's
  // plan cache with them, from one run to the next.
  const sweepPool = new pg.Pool({ connectionString: options.sweepUrl, max: 1, idleTimeoutMillis: 0 });
  const sweepDriver = await createPostgresDriver({ pool: sweepPool });
  const sweepStore = new TaskStore(sweepDriver);
  const planCacheMode = String(
    (await sweepDriver.query<{ plan_cache_mode: string }>('show plan_cache_mode')).rows[0]?.plan_cache_mode,
  );
  // Every batch the sweep asks for, timed as it is called (the call goes through unchanged).
  const batches: SweepBatch[] = [];
  const retention = sweepStore.retention;
  const sweepBatch = retention.sweepBatch.bind(retention);
  let round = 0;
  let sweepStarted = 0;
  retention.sweepBatch = async (rule, now, limit, archive, timeoutMs) => {
    const began = performance.now();
    const batch = { round, atMs: began - sweepStarted, limit };
    try {
      const swept = await sweepBatch(rule, now, limit, archive, timeoutMs);
      batches.push({ ...batch, tasks: swept?.tasks ?? 0, ms: performance.now() - began });
      return swept;
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? (error as Error).message);
      batches.push({ ...batch, tasks: 0, ms: performance.now() - began, error: code });
      throw error;
    }
  };

  const dueBefore = await countBulk(driver);
  log(`  ${dueBefore} bulk tasks due, plan_cache_mode ${planCacheMode}`);
  for (round = 1; round <= options.rounds; round++) {
    const order: Phase[] = round % 2 === 1 ? ['without', 'during'] : ['during', 'without'];
    for (const phase of order) {
      let r: ChainRun;
      let line = '';
      if (phase === 'without') r = await runner.run(chains);
      else {
        let stop = false;
        let sweepEnded: number | undefined;
        sweepStarted = performance.now();
        const sweeping = runRetention(sweepStore, policy, {
          now: () => Date.now(),
          workerId: 'bench-sweeper',
          stopping: () => stop,
        }).then((result) => {
          sweepEnded = performance.now();
          return result;
        });
        r = await runner.run(chains);
        const endedBeforeRun = sweepEnded !== undefined && sweepEnded < r.endedAt;
        stop = true;
        const { byRule: _, ...result } = await sweeping;
        const sweepRun: SweepRun = { ...result, round, ms: (sweepEnded as number) - sweepStarted };
        sweeps.push(sweepRun);
        if (endedBeforeRun)
          problems.push(
            `round ${round}: the sweep run ended before the chain run did (complete ${result.complete}, error ${result.error ?? 'none'})`,
          );
        if (result.error !== undefined)
          problems.push(`round ${round}: the sweep run failed: ${result.error}`);
        line = `; sweep run: ${result.tasks} tasks in ${result.batches} batches, ${Math.round(sweepRun.ms)} ms`;
      }
      problems.push(...r.problems.map((p) => `round ${round} (${phase}): ${p}`));
      runs.push({ ...r, round, phase });
      log(
        `  round ${round} ${phase.padEnd(7)} ${Math.round(r.stepsPerSecond)} steps/s (${Math.round(r.runMs)} ms; submit ${Math.round(r.submitMs)} ms${line})`,
      );
    }
  }
  const plans = (
    await sweepDriver.query<{ name: string; custom_plans: number; generic_plans: number }>(
      "select name, custom_plans::int, generic_plans::int from pg_prepared_statements where name like 'tasker_retention_sweep_batch_%'",
    )
  ).rows[0];
  // The plan the next batch would get: the rule's parameters (state, cutoff, any namespace,
  // none excluded), the policy's batch size, no archive.
  const now = Date.now();
  const plan =
    plans === undefined || !/^[a-z0-9_]+$/.test(plans.name)
      ? []
      : (
          await sweepDriver.query<{ 'QUERY PLAN': string }>(
            `explain execute ${plans.name}('complete', ${now - DAY_MS}, null, '{}', ${policy.batchSize}, false, ${now})`,
          )
        ).rows.map((r) => r['QUERY PLAN']);
  await sweepStore.close();
  await sweepPool.end();
  const leftAfter = await countBulk(driver);
  const sum = (k: 'tasks' | 'transitions' | 'batches' | 'ms') => sweeps.reduce((n, x) => n + x[k], 0);
  const sweep = {
    tasks: sum('tasks'),
    transitions: sum('transitions'),
    batches: sum('batches'),
    ms: sum('ms'),
  };
  if (dueBefore - leftAfter !== sweep.tasks)
    problems.push(
      `the sweep runs say they removed ${sweep.tasks} tasks, the table lost ${dueBefore - leftAfter}`,
    );
  if (sweep.transitions !== sweep.tasks * BULK_ROWS.transitions)
    problems.push(`the sweep runs removed ${sweep.transitions} transitions for ${sweep.tasks} tasks`);
  return {
    runs,
    sweeps,
    sweep,
    dueBefore,
    leftAfter,
    batches,
    planCache:
      plans === undefined
        ? undefined
        : { customPlans: plans.custom_plans, genericPlans: plans.generic_plans },
    plan,
    planCacheMode,
    policy: {
      batchSize: policy.batchSize,
      batchTimeMs: policy.batchTimeMs,
      pauseMs: policy.pauseMs,
      dutyCycle: policy.dutyCycle,
      maxRunMs: policy.maxRunMs,
    },
    problems,
  };
}

/** One timed execution of the sweep's batch statement under a forced plan, rolled back. */
export interface PlanProbe {
  readonly mode: 'force_generic_plan' | 'force_custom_plan';
  readonly limit: number;
  readonly ms: number;
  /** Tasks the batch would have removed. */
  readonly tasks: number;
}

/**
 * Times the sweep's batch statement (the engine's text, prepared under its name as the store
 * prepares it) with each plan PostgreSQL may use for it, at `limits` (the policy's batch size,
 * and 1), `repeats` times in alternating order, each in a transaction that is rolled back, on
 * the database at `url` with every bulk task due. Also returns `EXPLAIN (ANALYZE, BUFFERS)` of
 * each plan at the first limit, rolled back too.
 */
export async function probeBatchPlans(
  url: string,
  limits: readonly number[],
  repeats: number,
): Promise<{ probes: PlanProbe[]; plans: Record<PlanProbe['mode'], string[]> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const modes = ['force_generic_plan', 'force_custom_plan'] as const;
  const params = (limit: number) => {
    const now = Date.now();
    return ['complete', now - DAY_MS, null, [], limit, false, now];
  };
  const inRolledBack = async <T>(mode: string, body: () => Promise<T>): Promise<T> => {
    await client.query('begin');
    try {
      await client.query(`set local plan_cache_mode = ${mode}`);
      return await body();
    } finally {
      await client.query('rollback');
    }
  };
  try {
    const probes: PlanProbe[] = [];
    for (let r = 0; r < repeats; r++) {
      for (const mode of r % 2 === 0 ? modes : [...modes].reverse())
        for (const limit of limits) {
          const began = performance.now();
          const result = await inRolledBack(mode, () =>
            client.query<{ tasks: number }>({
              name: SWEEP_BATCH.id,
              text: SWEEP_BATCH.text,
              values: params(limit),
            }),
          );
          probes.push({ mode, limit, ms: performance.now() - began, tasks: Number(result.rows[0]?.tasks) });
        }
    }
    const plans = {} as Record<PlanProbe['mode'], string[]>;
    const [first] = limits;
    for (const mode of modes) {
      const values = params(first as number)
        .map((v) =>
          v === null ? 'null' : Array.isArray(v) ? "'{}'" : typeof v === 'string' ? `'${v}'` : String(v),
        )
        .join(', ');
      plans[mode] = await inRolledBack(mode, async () =>
        (
          await client.query<{ 'QUERY PLAN': string }>(
            `explain (analyze, buffers) execute ${SWEEP_BATCH.id}(${values})`,
          )
        ).rows.map((row) => row['QUERY PLAN']),
      );
    }
    return { probes, plans };
  } finally {
    await client.end();
  }
}
