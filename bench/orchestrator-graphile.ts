/**
 * The graphile-worker 0.17.3 side of the orchestrator benchmark: a 4-step chain is four jobs,
 * where each job's task enqueues the next one (`helpers.addJob`), as users chain work on it.
 * graphile-worker has no DAG, so it runs chains and the idle latency only.
 *
 * A run adds the first job of every chain with no worker running (timed apart), then times
 * one runner from `run()` until every job has run and its row is gone (graphile-worker
 * deletes a job when it completes it; with batching that happens after the task returned).
 * It checks itself: every step of every chain ran exactly once, in order, no job failed, and
 * the job table is empty at the end.
 */
import { Logger, makeWorkerUtils, type Runner, run, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import type { BenchSystem, Durability, RunResult, Workload } from './orchestrator-system';

/** graphile-worker's options in the benchmark. */
export interface GraphileBenchSettings {
  readonly concurrency: number;
  /** Its batching options (`localQueue`, `completeJobBatchDelay`, `failJobBatchDelay`), or none. */
  readonly batching: boolean;
}

interface StepPayload {
  readonly c: number;
  readonly n: number;
}

const silent = new Logger(() => () => {});
const JOBS = 'graphile_worker._private_jobs';

/** A benchmark system on graphile-worker in the database at `connectionString`. */
export async function createGraphileSystem(
  name: string,
  connectionString: string,
  settings: GraphileBenchSettings,
): Promise<BenchSystem> {
  // Its documentation asks for a pool of at least concurrency + 2.
  const pgPool = new pg.Pool({ connectionString, max: Math.max(10, settings.concurrency + 2) });
  pgPool.on('error', () => {});
  pgPool.on('connect', (client) => client.on('error', () => {}));
  await runMigrations({ pgPool, logger: silent });
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool, logger: silent });
  const one = async <Row>(text: string, params: unknown[] = []) =>
    (await pgPool.query(text, params)).rows[0] as Row;

  // Per chain, the steps that ran, in order; a waiter per chain for the latency runs.
  const ran = new Map<number, number[]>();
  const failures: string[] = [];
  let executed = 0;
  const finished = new Map<number, (jobId: string) => void>();
  const taskList = {
    step: async (payload: unknown, helpers: { addJob: Runner['addJob']; job: { id: string } }) => {
      const { c, n } = payload as StepPayload;
      const steps = ran.get(c) ?? [];
      steps.push(n);
      ran.set(c, steps);
      executed++;
      if (n < 4) await helpers.addJob('step', { c, n: n + 1 });
      else finished.get(c)?.(helpers.job.id);
    },
  };
  const start = () =>
    run({
      pgPool,
      logger: silent,
      concurrency: settings.concurrency,
      noHandleSignals: true,
      pollInterval: 2_000,
      taskList: taskList as never,
      preset: {
        worker: settings.batching
          ? {
              localQueue: { size: settings.concurrency },
              completeJobBatchDelay: 0,
              failJobBatchDelay: 0,
            }
          : {},
      },
    }).then((runner) => {
      runner.events.on('job:failed', ({ error }) => failures.push(String(error)));
      runner.events.on('job:error', ({ error }) => failures.push(String(error)));
      return runner;
    });
  const remaining = async () => (await one<{ n: number }>(`select count(*)::int as n from ${JOBS}`)).n;
  const reset = async () => {
    await pgPool.query(`delete from ${JOBS}`);
    ran.clear();
    failures.length = 0;
    executed = 0;
  };

  return {
    name,
    dag: false,
    async durability(): Promise<Durability> {
      return {
        fsync: (await one<{ fsync: string }>('show fsync')).fsync,
        synchronousCommit: (await one<{ synchronous_commit: string }>('show synchronous_commit'))
          .synchronous_commit,
      };
    },

    async run(workload: Workload, count: number): Promise<RunResult> {
      if (workload !== 'chains') throw new Error(`${name} runs chains only`);
      await reset();
      const submitStarted = performance.now();
      for (let from = 0; from < count; from += 500) {
        const specs = [];
        for (let c = from; c < Math.min(count, from + 500); c++)
          specs.push({ identifier: 'step', payload: { c, n: 1 } });
        await utils.addJobs(specs);
      }
      const submitMs = performance.now() - submitStarted;
      await pgPool.query(`analyze ${JOBS}`);
      const steps = count * 4;
      const started = performance.now();
      const runner = await start();
      while (executed < steps) await new Promise((resolve) => setTimeout(resolve, 1));
      // Durably complete: the rows of completed jobs are deleted.
      while ((await remaining()) > 0) await new Promise((resolve) => setTimeout(resolve, 1));
      const runMs = performance.now() - started;
      await runner.stop();

      const problems: string[] = [];
      if (executed !== steps) problems.push(`${executed} steps ran, expected ${steps}`);
      let wrong = 0;
      for (let c = 0; c < count; c++) {
        const s = ran.get(c);
        if (s === undefined || s.length !== 4 || s.some((n, i) => n !== i + 1)) wrong++;
      }
      if (wrong > 0) problems.push(`${wrong} chains did not run steps 1, 2, 3, 4 exactly once in order`);
      const left = await remaining();
      if (left > 0) problems.push(`${left} jobs left in the queue`);
      if (failures.length > 0) problems.push(`${failures.length} jobs failed: ${failures[0]}`);
      return {
        workload,
        tasks: count,
        steps,
        submitMs,
        runMs,
        stepsPerSecond: steps / (runMs / 1000),
        problems,
        notes: [],
      };
    },

    async latency(samples: number, warmup: number): Promise<number[]> {
      await reset();
      const runner = await start();
      const times: number[] = [];
      for (let i = 0; i < warmup + samples; i++) {
        const c = -1 - i;
        const started = performance.now();
        const done = new Promise<string>((resolve) => finished.set(c, resolve));
        await utils.addJob('step', { c, n: 1 });
        const jobId = await done;
        finished.delete(c);
        // Durably complete: its row is gone.
        while ((await pgPool.query(`select 1 from ${JOBS} where id = $1`, [jobId])).rows.length > 0);
        const elapsed = performance.now() - started;
        if (ran.get(c)?.join() !== '1,2,3,4')
          throw new Error(`${name}: latency chain ${c} ran ${ran.get(c)}`);
        if (i >= warmup) times.push(elapsed);
      }
      await runner.stop();
      return times;
    },

    async close() {
      await utils.release();
      await pgPool.end();
    },
  };
}
