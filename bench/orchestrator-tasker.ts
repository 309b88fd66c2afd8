/**
 * The Tasker side of the orchestrator benchmark: one engine on a store (PostgreSQL through
 * `pg`, or PGlite), running the benchmark's workloads and checking every run against the
 * audit trail.
 *
 * A run pre-submits its tasks with the workers stopped (timed apart, as `submitMs`), then
 * starts one engine and times it from `start()` until it has durably completed every step
 * (the count of `complete` transitions it committed). Then it checks the run in SQL:
 *
 * - every task is `complete`, and the database holds exactly the expected steps;
 * - each step has exactly one `in_progress → complete` transition;
 * - DAG order: for every edge, the parent's completion row was written before the child's
 *   claim row. Transition ids come from one sequence, and a child can only be claimed by a
 *   transaction that began after its parent's completion committed, so a claim row with a
 *   smaller id than its parent's completion row means the child started first.
 *
 * A run with any problem is void.
 */
import {
  createTasker,
  defineTask,
  type SqlDriver,
  type StepHandler,
  type TaskDefinition,
  type Tasker,
  TaskStore,
} from '@tasker/orchestrator';
import { createEventRouter, type RouterBackend } from '@tasker/router';
import type { BenchSystem, Durability, RunResult, Workload } from './orchestrator-system';

/** The engine's settings in the benchmark (the same for PostgreSQL and PGlite). */
export interface TaskerBenchSettings {
  readonly concurrency: number;
  readonly batchSize: number;
  /** Tasks submitted at once while pre-submitting. */
  readonly submitParallelism: number;
}

const CHECKS = {
  tasks: `select count(*)::int as n, count(*) filter (where state = 'complete')::int as complete from tasker.tasks`,
  steps: `select count(*)::int as n, count(*) filter (where state = 'complete')::int as complete from tasker.steps`,
  completions: `
select count(*) filter (where c.n <> 1)::int as wrong, coalesce(max(c.n), 0)::int as most
from tasker.steps s
cross join lateral (
  select count(*)::int as n from tasker.transitions t where t.step_id = s.id and t.to_state = 'complete'
) c`,
  order: `
select count(*)::int as broken
from tasker.step_edges e
cross join lateral (
  select min(id) as id from tasker.transitions t where t.step_id = e.parent_id and t.to_state = 'complete'
) p
cross join lateral (
  select min(id) as id from tasker.transitions t where t.step_id = e.child_id and t.to_state = 'in_progress'
) c
where p.id is null or c.id is null or c.id < p.id`,
} as const;

function definitions(handler: StepHandler): { chain: TaskDefinition; diamond: TaskDefinition } {
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

async function waitUntil(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 1));
}

/**
 * A benchmark system on `driver`: migrates the store, then runs workloads with a fresh
 * engine each time (a stopped engine is not restarted).
 */
export async function createTaskerSystem(
  name: string,
  driver: SqlDriver,
  settings: TaskerBenchSettings,
): Promise<BenchSystem> {
  const store = new TaskStore(driver);
  await store.migrate();
  const executions = new Map<string, number>();
  const handler: StepHandler = (ctx) => {
    executions.set(ctx.stepId, (executions.get(ctx.stepId) ?? 0) + 1);
    return ctx.attempt;
  };
  const { chain, diamond } = definitions(handler);
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
  const router = createEventRouter({ backends: { trace: counting('trace'), metrics: counting('metrics') } });
  const engine = (): Tasker =>
    createTasker({
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
    await driver.exec('truncate tasker.transitions, tasker.step_edges, tasker.steps, tasker.tasks');
    executions.clear();
    errors.length = 0;
    events = 0;
  };
  const one = async <Row>(text: string) => (await driver.query<Row>(text)).rows[0] as Row;

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
      await waitUntil(() => tasker.stats().completed >= steps);
      const runMs = performance.now() - started;
      await tasker.stop();

      const problems: string[] = [];
      const tasks = await one<{ n: number; complete: number }>(CHECKS.tasks);
      if (tasks.n !== count || tasks.complete !== count)
        problems.push(`${tasks.complete} of ${tasks.n} tasks complete, expected ${count}`);
      const stepRows = await one<{ n: number; complete: number }>(CHECKS.steps);
      if (stepRows.n !== steps || stepRows.complete !== steps)
        problems.push(`${stepRows.complete} of ${stepRows.n} steps complete, expected ${steps}`);
      const completions = await one<{ wrong: number; most: number }>(CHECKS.completions);
      if (completions.wrong > 0)
        problems.push(
          `${completions.wrong} steps without exactly one completion (most: ${completions.most})`,
        );
      const order = await one<{ broken: number }>(CHECKS.order);
      if (order.broken > 0)
        problems.push(`${order.broken} edges whose child started before its parent completed`);
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

    async latency(samples: number, warmup: number): Promise<number[]> {
      await reset();
      const tasker = engine();
      await tasker.start();
      const times: number[] = [];
      for (let i = 0; i < warmup + samples; i++) {
        const started = performance.now();
        const { taskId } = await tasker.submit({
          namespace: 'bench',
          name: 'chain',
          version: '1.0.0',
          context: { i },
        });
        const task = await tasker.waitFor(taskId);
        const elapsed = performance.now() - started;
        if (task.state !== 'complete') throw new Error(`${name}: latency task ${taskId} ended ${task.state}`);
        if (i >= warmup) times.push(elapsed);
      }
      await tasker.stop();
      return times;
    },

    close: () => store.close(),
  };
}
