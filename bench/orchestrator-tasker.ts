/**
 * The Tasker side of the orchestrator benchmark: one engine on a store (PostgreSQL through
 * `pg`, or PGlite), running the benchmark's workloads and checking every run against the
 * audit trail.
 *
 * A run pre-submits its tasks with the workers stopped (timed apart, as `submitMs`), then
 * starts one engine and times it from `start()` until it has durably completed every step
 * (the count of `complete` transitions it committed), or until that count stalls (a lost
 * step). Then it checks the run in SQL (a latency round too, over its chains):
 *
 * - every task is `complete` and has exactly one `→ complete` transition of its own;
 * - the database holds exactly the expected steps, each `complete` with exactly one
 *   `in_progress → complete` transition;
 * - DAG order: for every edge whose child was claimed, the parent's completion row was written
 *   before the child's claim row (a child never claimed is a lost step, counted above).
 *   Transition ids come from one sequence, and a child can only be claimed by a transaction
 *   that began after its parent's completion committed, so a claim row with a smaller id than
 *   its parent's completion row means the child started first.
 *
 * Every problem is reported with its counts; the benchmark fails on any.
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

// Completions per task and per step, from the audit: none means lost, more than one repeated.
const completions = (table: 'tasks' | 'steps', match: string) => `
select count(*) filter (where c.n = 0)::int as never, count(*) filter (where c.n > 1)::int as repeated,
  coalesce(max(c.n), 0)::int as most
from tasker.${table} x
cross join lateral (
  select count(*)::int as n from tasker.transitions t where ${match} and t.to_state = 'complete'
) c`;

const CHECKS = {
  tasks: `select count(*)::int as n, count(*) filter (where state = 'complete')::int as complete from tasker.tasks`,
  steps: `select count(*)::int as n, count(*) filter (where state = 'complete')::int as complete from tasker.steps`,
  taskCompletions: completions('tasks', 't.task_id = x.id and t.step_id is null'),
  stepCompletions: completions('steps', 't.step_id = x.id'),
  order: `
select count(*)::int as broken
from tasker.step_edges e
cross join lateral (
  select min(id) as id from tasker.transitions t where t.step_id = e.parent_id and t.to_state = 'complete'
) p
cross join lateral (
  select min(id) as id from tasker.transitions t where t.step_id = e.child_id and t.to_state = 'in_progress'
) c
where c.id is not null and (p.id is null or c.id < p.id)`,
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

  /** What the database says is wrong after `tasks` tasks of `steps` steps in all ran; [] if nothing. */
  const check = async (tasks: number, steps: number): Promise<string[]> => {
    type Counts = { n: number; complete: number };
    type Completions = { never: number; repeated: number; most: number };
    const problems: string[] = [];
    const t = await one<Counts>(CHECKS.tasks);
    if (t.n !== tasks || t.complete !== tasks)
      problems.push(`${t.complete} of ${t.n} tasks complete, expected ${tasks}`);
    const tc = await one<Completions>(CHECKS.taskCompletions);
    if (tc.never > 0 || tc.repeated > 0)
      problems.push(
        `${tc.never} tasks without a completion, ${tc.repeated} completed more than once (most: ${tc.most})`,
      );
    const s = await one<Counts>(CHECKS.steps);
    if (s.n !== steps || s.complete !== steps)
      problems.push(`${s.complete} of ${s.n} steps complete, expected ${steps}`);
    const sc = await one<Completions>(CHECKS.stepCompletions);
    if (sc.never > 0 || sc.repeated > 0)
      problems.push(
        `${sc.never} steps without a completion, ${sc.repeated} completed more than once (most: ${sc.most})`,
      );
    const order = await one<{ broken: number }>(CHECKS.order);
    if (order.broken > 0)
      problems.push(`${order.broken} edges whose child started before its parent completed`);
    return problems;
  };

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
