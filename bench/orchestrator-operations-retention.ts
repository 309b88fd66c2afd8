/**
 * The retention part of the operations benchmark (issue #13): the chain throughput of an engine
 * while the retention sweep removes 200,000 finished tasks, against the same workload without a
 * sweep, in one process on one database.
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
 * - {@link sweepRound}: runs without a sweep, then runs while one sweep (`runRetention`) goes on,
 *   then runs without again. A run counts as "during" only when its timed part lies wholly inside
 *   the sweep; one that straddles the sweep's end is reported and left out; one that starts after
 *   it counts as "after".
 *
 * The sweep runs in the benchmark's process on a pool of its own (one connection, so that the
 * plan cache it builds can be read afterwards). {@link probeBatchPlans} times one batch of its
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

/** A chain run's place around the sweep. */
export type Phase = 'before' | 'during' | 'straddling' | 'after';

/** One batch of the sweep, as the benchmark saw it call the store. */
export interface SweepBatch {
  /** From the sweep's start, ms. */
  readonly atMs: number;
  readonly limit: number;
  readonly tasks: number;
  readonly ms: number;
  /** The batch failed (its statement timed out, for example): the error code. */
  readonly error?: string;
}

/** One variant's round: its runs, its sweep and what the database says about both. */
export interface SweepRound {
  readonly runs: (ChainRun & { readonly phase: Phase })[];
  readonly sweep: Omit<RetentionRunResult, 'byRule'>;
  readonly sweepMs: number;
  /** Bulk tasks due when the sweep began and left when it ended. */
  readonly dueBefore: number;
  readonly leftAfter: number;
  readonly batches: SweepBatch[];
  /** The sweep connection's plan cache for the batch statement, read after the sweep. */
  readonly planCache: { readonly customPlans: number; readonly genericPlans: number } | undefined;
  /**
   * The plan that connection would run the next batch with (`EXPLAIN EXECUTE` of its prepared
   * statement at the policy's batch size), read after the sweep.
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

/** What {@link sweepRound} needs. */
export interface SweepRoundOptions {
  /** The database's URL for the sweep's own connection (with any `options` it should carry). */
  readonly sweepUrl: string;
  /** Retention settings other than their defaults (`keepMs` is the benchmark's: 1 day). */
  readonly retention?: Omit<NonNullable<TaskerConfigInput['retention']>, 'keepMs'>;
  /** Chains per run. */
  readonly chains: number;
  /** Runs without the sweep before it, and after it. */
  readonly runsAround: number;
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
 * Runs without the sweep, then one sweep of the bulk tasks (`keepMs.complete`: 1 day, every
 * other retention setting its default unless given) with runs during it, then runs without
 * again.
 */
export async function sweepRound(
  driver: SqlDriver,
  runner: ChainRunner,
  options: SweepRoundOptions,
): Promise<SweepRound> {
  const { chains, runsAround, log } = options;
  const runs: SweepRound['runs'] = [];
  const problems: string[] = [];
  const timed = async (phase: Phase) => {
    const r = await runner.run(chains);
    problems.push(...r.problems.map((p) => `run ${runs.length + 1} (${phase}): ${p}`));
    runs.push({ ...r, phase });
    log(
      `  ${phase.padEnd(10)} ${Math.round(r.stepsPerSecond)} steps/s (${Math.round(r.runMs)} ms; submit ${Math.round(r.submitMs)} ms)`,
    );
    return r;
  };
  for (let i = 0; i < runsAround; i++) await timed('before');

  const policy = parseConfig({
    retention: {
      ...options.retention,
      keepMs: { complete: DAY_MS },
    },
  }).retention;
  const sweepDriver = await createPostgresDriver({ connectionString: options.sweepUrl, poolSize: 1 });
  const sweepStore = new TaskStore(sweepDriver);
  const planCacheMode = String(
    (await sweepDriver.query<{ plan_cache_mode: string }>('show plan_cache_mode')).rows[0]?.plan_cache_mode,
  );
  // Every batch the sweep asks for, timed as it is called (the call goes through unchanged).
  const batches: SweepBatch[] = [];
  const retention = sweepStore.retention;
  const sweepBatch = retention.sweepBatch.bind(retention);
  let sweepStarted = 0;
  retention.sweepBatch = async (rule, now, limit, archive, timeoutMs) => {
    const began = performance.now();
    try {
      const swept = await sweepBatch(rule, now, limit, archive, timeoutMs);
      batches.push({
        atMs: began - sweepStarted,
        limit,
        tasks: swept?.tasks ?? 0,
        ms: performance.now() - began,
      });
      return swept;
    } catch (error) {
      batches.push({
        atMs: began - sweepStarted,
        limit,
        tasks: 0,
        ms: performance.now() - began,
        error: String((error as { code?: unknown }).code ?? (error as Error).message),
      });
      throw error;
    }
  };

  const dueBefore = await countBulk(driver);
  let sweepEnded: number | undefined;
  sweepStarted = performance.now();
  const sweeping = runRetention(sweepStore, policy, {
    now: () => Date.now(),
    workerId: 'bench-sweeper',
  }).then((result) => {
    sweepEnded = performance.now();
    return result;
  });
  log(`  sweep started (${dueBefore} bulk tasks due, plan_cache_mode ${planCacheMode})`);
  let after = 0;
  while (sweepEnded === undefined) {
    const r = await runner.run(chains);
    const end = sweepEnded ?? Number.POSITIVE_INFINITY;
    const phase: Phase = r.endedAt <= end ? 'during' : r.startedAt >= end ? 'after' : 'straddling';
    if (phase === 'after') after++;
    problems.push(...r.problems.map((p) => `run ${runs.length + 1} (${phase}): ${p}`));
    runs.push({ ...r, phase });
    log(
      `  ${phase.padEnd(10)} ${Math.round(r.stepsPerSecond)} steps/s (${Math.round(r.runMs)} ms; submit ${Math.round(r.submitMs)} ms; ${batches.length} batches so far)`,
    );
  }
  const { byRule: _, ...sweep } = await sweeping;
  const sweepMs = (sweepEnded as number) - sweepStarted;
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
  const leftAfter = await countBulk(driver);
  log(
    `  sweep ended: ${sweep.tasks} tasks, ${sweep.transitions} transitions, ${sweep.batches} batches in ${Math.round(sweepMs)} ms (complete ${sweep.complete}${sweep.error === undefined ? '' : `, error ${sweep.error}`})`,
  );
  for (let i = after; i < runsAround; i++) await timed('after');

  if (dueBefore - leftAfter !== sweep.tasks)
    problems.push(`the sweep says it removed ${sweep.tasks} tasks, the table lost ${dueBefore - leftAfter}`);
  if (sweep.transitions !== sweep.tasks * BULK_ROWS.transitions)
    problems.push(`the sweep removed ${sweep.transitions} transitions for ${sweep.tasks} tasks`);
  if (runs.filter((r) => r.phase === 'during').length === 0)
    problems.push('no run lay wholly inside the sweep (make the runs shorter or the sweep longer)');
  return {
    runs,
    sweep,
    sweepMs,
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
