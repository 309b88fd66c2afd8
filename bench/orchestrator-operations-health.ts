/**
 * The health part of the operations benchmark (issue #13): how long the figures behind
 * `/health/status` take with a million transitions in the table, uncached.
 *
 * On its own database:
 *
 * 1. `chains` finished 4-step chains of November 2023 (15 transitions each: 66,667 chains make
 *    1,000,005), as the retention part fills them.
 * 2. Recent activity inside the status window, through an engine: `activity` `health.flaky`
 *    tasks (three steps a → b → c): every 10th task's `b` fails retryably once, every 50th
 *    task's `c` fails for good (the task ends in `error`); then `waiting` `health.idle` tasks
 *    that no worker registers, so their step waits to be claimed (the queue's lag). Then
 *    `analyze`.
 * 3. Rounds of `calls` sequential calls each of `store.insights.healthFigures(now, now − windowMs)`
 *    (the one statement of `/health/status`) and of the whole `GET /health/status` through
 *    `createTaskerApi` with `health.statusCacheMs: 0` (statement, worker registry, JSON body), in
 *    alternating order, after `warmup` untimed calls of each. Nothing is cached by Tasker; the
 *    database's buffer cache is warm, as it is on a server that answers probes.
 */
import {
  createPostgresDriver,
  createTasker,
  defineTask,
  PermanentError,
  RetryableError,
  type StepHandler,
  TaskStore,
} from '@tasker/orchestrator';
import { createTaskerApi } from '@tasker/orchestrator/api';
import { type Fill, fillFinishedChains } from './orchestrator-operations-retention';
import { waitWhileProgressing } from './orchestrator-system';

/** What `store.insights.healthFigures` answers. */
type HealthFigures = Awaited<ReturnType<TaskStore['insights']['healthFigures']>>;

export interface HealthOptions {
  readonly chains: number;
  readonly activity: number;
  readonly waiting: number;
  readonly rounds: number;
  readonly calls: number;
  readonly warmup: number;
  readonly log: (line: string) => void;
}

export interface HealthResult {
  readonly fill: Fill;
  /** Rows in the tables when timed. */
  readonly tables: { readonly tasks: number; readonly steps: number; readonly transitions: number };
  /** Transitions inside the window when timed. */
  readonly transitionsInWindow: number;
  readonly windowMs: number;
  /** What the statement answered on the last call. */
  readonly figures: HealthFigures;
  /** Per round, every call's time in ms. */
  readonly figuresMs: number[][];
  readonly httpMs: number[][];
  /** HTTP status → count over the timed calls. */
  readonly statuses: Record<string, number>;
  readonly activityMs: number;
  readonly problems: string[];
}

const handler: StepHandler = (ctx) => {
  const i = (ctx.context as { i: number }).i;
  if (ctx.stepName === 'b' && i % 10 === 0 && ctx.attempt === 1)
    throw new RetryableError('busy, try again', { retryAfter: 0 });
  if (ctx.stepName === 'c' && i % 50 === 0) throw new PermanentError('refused');
  return ctx.attempt;
};

const flaky = defineTask({
  namespace: 'health',
  name: 'flaky',
  version: '1.0.0',
  steps: [
    { name: 'a', handler },
    { name: 'b', handler, dependsOn: ['a'] },
    { name: 'c', handler, dependsOn: ['b'] },
  ],
});

const idle = defineTask({
  namespace: 'health',
  name: 'idle',
  version: '1.0.0',
  steps: [{ name: 'wait', handler: 'wait' }],
});

const inParallel = async (count: number, parallelism: number, body: (i: number) => Promise<unknown>) => {
  let next = 0;
  const lane = async () => {
    while (next < count) await body(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, count) }, lane));
};

/** Fills the database at `url` and times the health figures (see the module comment). */
export async function measureHealth(url: string, options: HealthOptions): Promise<HealthResult> {
  const { log } = options;
  const driver = await createPostgresDriver({ connectionString: url, poolSize: 10 });
  const store = new TaskStore(driver);
  await store.migrate();
  const problems: string[] = [];
  try {
    const fill = await fillFinishedChains(url, options.chains);
    log(
      `  filled ${options.chains} chains in ${Math.round(fill.fillMs)} ms (vacuum ${Math.round(fill.vacuumMs)} ms)`,
    );

    const worker = createTasker({
      store,
      tasks: [flaky],
      config: { execution: { concurrency: 32 }, engine: { batchSize: 32 }, health: { statusCacheMs: 0 } },
      onError: (error, during) => problems.push(`engine ${during}: ${(error as Error).message}`),
    });
    // Submits the tasks no worker runs; never started.
    const submitter = createTasker({ store, tasks: [idle], handlers: { wait: async () => null } });
    const activityStarted = performance.now();
    await worker.start();
    await inParallel(options.activity, 8, (i) =>
      worker.submit({ namespace: 'health', name: 'flaky', version: '1.0.0', context: { i } }),
    );
    const finishedFlaky = async () =>
      Number(
        (
          await driver.query<{ n: number }>(
            "select count(*)::int as n from tasker.tasks where namespace = 'health' and name = 'flaky' and state in ('complete', 'error')",
          )
        ).rows[0]?.n,
      );
    if (!(await waitWhileProgressing(finishedFlaky, (n) => n >= options.activity, undefined, 100)))
      problems.push(`only ${await finishedFlaky()} of ${options.activity} health.flaky tasks finished`);
    for (let i = 0; i < options.waiting; i++)
      await submitter.submit({ namespace: 'health', name: 'idle', version: '1.0.0', context: { i } });
    const activityMs = performance.now() - activityStarted;
    await driver.exec('analyze');

    const windowMs = worker.config.health.windowMs;
    const count = async (text: string, params: unknown[] = []) =>
      Number((await driver.query<{ n: number }>(text, params)).rows[0]?.n);
    const tables = {
      tasks: await count('select count(*)::int as n from tasker.tasks'),
      steps: await count('select count(*)::int as n from tasker.steps'),
      transitions: await count('select count(*)::int as n from tasker.transitions'),
    };
    const transitionsInWindow = await count(
      'select count(*)::int as n from tasker.transitions where created_at >= $1::bigint',
      [Date.now() - windowMs],
    );
    log(
      `  ${tables.transitions} transitions (${transitionsInWindow} in the last ${windowMs / 1000} s), ${tables.tasks} tasks; activity took ${Math.round(activityMs)} ms`,
    );

    const api = createTaskerApi({ tasker: worker });
    const statusUrl = `http://bench${api.prefix}/health/status`;
    const statuses: Record<string, number> = {};
    let figures: HealthFigures | undefined;
    const callFigures = async () => {
      const now = Date.now();
      const began = performance.now();
      figures = await store.insights.healthFigures(now, now - windowMs);
      return performance.now() - began;
    };
    const callHttp = async (count: boolean) => {
      const began = performance.now();
      const response = await api.fetch(new Request(statusUrl));
      await response.text();
      const ms = performance.now() - began;
      if (count) statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      return ms;
    };
    for (let i = 0; i < options.warmup; i++) {
      await callFigures();
      await callHttp(false);
    }
    const figuresMs: number[][] = [];
    const httpMs: number[][] = [];
    for (let round = 0; round < options.rounds; round++) {
      const f: number[] = [];
      const h: number[] = [];
      const order = round % 2 === 0 ? ['figures', 'http'] : ['http', 'figures'];
      for (const kind of order)
        for (let i = 0; i < options.calls; i++)
          kind === 'figures' ? f.push(await callFigures()) : h.push(await callHttp(true));
      figuresMs.push(f);
      httpMs.push(h);
    }
    await worker.stop();

    const seen = figures as HealthFigures;
    if ((seen.tasks.complete ?? 0) === 0 || (seen.tasks.error ?? 0) === 0)
      problems.push(`the window holds no complete or no errored tasks: ${JSON.stringify(seen.tasks)}`);
    if (seen.attempts.failed === 0 || seen.retries.total === 0 || seen.oldestReadyAt === undefined)
      problems.push(`the figures miss failures, retries or a waiting step: ${JSON.stringify(seen)}`);
    if (tables.transitions < 1_000_000 && options.chains >= 66_667)
      problems.push(`only ${tables.transitions} transitions in the table`);
    return {
      fill,
      tables,
      transitionsInWindow,
      windowMs,
      figures: seen,
      figuresMs,
      httpMs,
      statuses,
      activityMs,
      problems,
    };
  } finally {
    await store.close();
  }
}
