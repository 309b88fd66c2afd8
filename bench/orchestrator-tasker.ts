/**
 * The Tasker side of the orchestrator benchmarks: one engine on a store (PostgreSQL through
 * `pg`, or PGlite), running the benchmark's workloads and checking every run against the
 * audit trail.
 *
 * A run pre-submits its tasks with the workers stopped (timed apart, as `submitMs`), then
 * starts one engine and times it from `start()` until it has durably completed every step
 * (the count of `complete` transitions it committed), or until that count stalls (a lost
 * step). Then it checks the run in SQL (a latency round too, over its chains): see
 * `orchestrator-audit.ts`. Every problem is reported with its counts; the benchmark fails on
 * any.
 *
 * The engine comes from this repository's `@tasker/orchestrator` and `@tasker/router`, or from
 * other copies of them passed in {@link TaskerSystemOptions.modules} (another commit's, for the
 * comparison with the parent commit).
 */

import type { SqlDriver, StepHandler, TaskDefinition, Tasker } from '@tasker/orchestrator';
import * as currentOrchestrator from '@tasker/orchestrator';
import type { RouterBackend } from '@tasker/router';
import * as currentRouter from '@tasker/router';
import { auditRun, type QueryRows } from './orchestrator-audit';
import {
  type BenchSystem,
  type Durability,
  type LatencyResult,
  type RunResult,
  STALL_MS,
  type Workload,
  waitWhileProgressing,
} from './orchestrator-system';

/** The engine's settings in the benchmark (the same for PostgreSQL and PGlite). */
export interface TaskerBenchSettings {
  readonly concurrency: number;
  readonly batchSize: number;
  /** Tasks submitted at once while pre-submitting. */
  readonly submitParallelism: number;
}

/**
 * What the benchmark uses of Tasker's packages. Another commit's copies must offer the same
 * (its public API is checked by the caller that loads it).
 */
export interface TaskerModules {
  readonly orchestrator: Pick<
    typeof currentOrchestrator,
    'createTasker' | 'defineTask' | 'TaskStore' | 'createPostgresDriver'
  >;
  readonly router: Pick<typeof currentRouter, 'createEventRouter'>;
}

/** This repository's packages, as the workspace resolves them. */
export const CURRENT_MODULES: TaskerModules = { orchestrator: currentOrchestrator, router: currentRouter };

/** Options of {@link createTaskerSystem}. */
export interface TaskerSystemOptions {
  /** The packages the engine comes from. Default: this repository's ({@link CURRENT_MODULES}). */
  readonly modules?: TaskerModules;
  /**
   * Tasks tagged so are left in the database between runs and out of the checks (work left
   * behind on purpose). Then a run clears the others with `delete` and `vacuum analyze`
   * instead of `truncate`. Default: none, every table is truncated.
   */
  readonly keepTagged?: string;
}

/**
 * The benchmark's two definitions, every step run by `handler`: `bench.chain@1.0.0` (s1 → s2 →
 * s3 → s4) and `bench.diamond@1.0.0` (top → left, middle, right → bottom).
 */
export function benchDefinitions(
  handler: StepHandler,
  defineTask: TaskerModules['orchestrator']['defineTask'] = currentOrchestrator.defineTask,
): { chain: TaskDefinition; diamond: TaskDefinition } {
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
  const diamond = defineTask({
    namespace: 'bench',
    name: 'diamond',
    version: '1.0.0',
    steps: [
      { name: 'top', handler },
      { name: 'left', handler, dependsOn: ['top'] },
      { name: 'middle', handler, dependsOn: ['top'] },
      { name: 'right', handler, dependsOn: ['top'] },
      { name: 'bottom', handler, dependsOn: ['left', 'middle', 'right'] },
    ],
  });
  return { chain, diamond };
}

const STEPS_PER_TASK: Record<Workload, number> = { chains: 4, diamonds: 5 };

async function inParallel(count: number, parallelism: number, body: (i: number) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < count) await body(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, count) }, lane));
}

/**
 * A benchmark system on `driver`: migrates the store, then runs workloads with a fresh
 * engine each time (a stopped engine is not restarted).
 */
export async function createTaskerSystem(
  name: string,
  driver: SqlDriver,
  settings: TaskerBenchSettings,
  options: TaskerSystemOptions = {},
): Promise<BenchSystem> {
  const { orchestrator, router: routerModule } = options.modules ?? CURRENT_MODULES;
  const { keepTagged } = options;
  const store = new orchestrator.TaskStore(driver);
  await store.migrate();
  const executions = new Map<string, number>();
  const handler: StepHandler = (ctx) => {
    executions.set(ctx.stepId, (executions.get(ctx.stepId) ?? 0) + 1);
    return ctx.attempt;
  };
  const { chain, diamond } = benchDefinitions(handler, orchestrator.defineTask);
  const errors: string[] = [];
  // Events go where a user's telemetry would take them: the router's default table, with a
  // trace and a metrics backend that count what they receive.
  let events = 0;
  const counting = (name: string): RouterBackend => ({
    name,
    handle: () => {
      events++;
    },
  });
  const router = routerModule.createEventRouter({
    backends: { trace: counting('trace'), metrics: counting('metrics') },
  });
  const engine = (): Tasker =>
    orchestrator.createTasker({
      store,
      router,
      tasks: [chain, diamond],
      config: {
        execution: { concurrency: settings.concurrency },
        engine: { batchSize: settings.batchSize },
      },
      onError: (error, during) => errors.push(`${during}: ${(error as Error).message}`),
    });
  const reset = async () => {
    if (keepTagged === undefined) {
      await driver.exec('truncate tasker.tasks cascade');
    } else {
      // Steps, edges and transitions go with their task (on delete cascade).
      await driver.query('delete from tasker.tasks where not ($1::text = any(tags))', [keepTagged]);
      await driver.exec('vacuum analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
    }
    executions.clear();
    errors.length = 0;
    events = 0;
  };
  const one = async <Row>(text: string) => (await driver.query<Row>(text)).rows[0] as Row;
  const rows: QueryRows = async <Row>(text: string, params?: readonly unknown[]) =>
    (await driver.query<Row>(text, params)).rows;
  const check = (tasks: number, steps: number) => auditRun(rows, { tasks, steps }, keepTagged);

  return {
    name,
    dag: true,
    async durability(): Promise<Durability> {
      return {
        fsync: (await one<{ fsync: string }>('show fsync')).fsync,
        synchronousCommit: (await one<{ synchronous_commit: string }>('show synchronous_commit'))
          .synchronous_commit,
      };
    },

    async run(workload: Workload, count: number): Promise<RunResult> {
      await reset();
      const tasker = engine();
      const definition = workload === 'chains' ? chain : diamond;
      const submitStarted = performance.now();
      await inParallel(count, settings.submitParallelism, (i) =>
        tasker.submit({ namespace: 'bench', name: definition.name, version: '1.0.0', context: { i } }),
      );
      const submitMs = performance.now() - submitStarted;
      await driver.exec('analyze tasker.tasks, tasker.steps, tasker.step_edges, tasker.transitions');
      const steps = count * STEPS_PER_TASK[workload];
      const started = performance.now();
      await tasker.start();
      const finished = await waitWhileProgressing(
        () => tasker.stats().completed,
        (completed) => completed >= steps,
      );
      const runMs = performance.now() - started;
      const completed = tasker.stats().completed;
      await tasker.stop();

      const problems = await check(count, steps);
      if (!finished)
        problems.unshift(`stalled at ${completed} of ${steps} step completions (none for ${STALL_MS} ms)`);
      const reruns = [...executions.values()].filter((n) => n !== 1).length;
      return {
        workload,
        tasks: count,
        steps,
        submitMs,
        runMs,
        stepsPerSecond: steps / (runMs / 1000),
        problems,
        notes: [
          `${events} events routed`,
          ...(reruns > 0 ? [`${reruns} steps ran more than once (at-least-once; one completion each)`] : []),
          ...errors.slice(0, 5),
        ],
      };
    },

    async latency(samples: number, warmup: number): Promise<LatencyResult> {
      await reset();
      const tasker = engine();
      await tasker.start();
      const times: number[] = [];
      const problems: string[] = [];
      let submitted = 0;
      for (let i = 0; i < warmup + samples; i++) {
        const started = performance.now();
        const { taskId } = await tasker.submit({
          namespace: 'bench',
          name: 'chain',
          version: '1.0.0',
          context: { i },
        });
        submitted++;
        const task = await tasker.waitFor(taskId, { timeoutMs: STALL_MS }).catch((error: Error) => error);
        const elapsed = performance.now() - started;
        if (task instanceof Error || task.state !== 'complete') {
          problems.push(
            `latency task ${i} (${taskId}) ${task instanceof Error ? task.message : `ended ${task.state}`}`,
          );
          break;
        }
        if (i >= warmup) times.push(elapsed);
      }
      await tasker.stop();
      problems.push(...(await check(submitted, submitted * STEPS_PER_TASK.chains)));
      return { samples: times, problems };
    },

    close: () => store.close(),
  };
}
