/**
 * The graphile-worker 0.17.3 side of the orchestrator benchmark: a 4-step chain is four jobs,
 * where each job's task enqueues the next one (`helpers.addJob`), as users chain work on it.
 * graphile-worker has no DAG, so it runs chains and the idle latency only.
 *
 * A run adds the first job of every chain with no worker running (timed apart), then times
 * one runner from `run()` until every job has run and its row is gone (graphile-worker
 * deletes a job when it completes it; with batching that happens after the task returned),
 * or until that progress stalls (a lost job). graphile-worker keeps no record of a completed
 * job, so a run checks the records its task keeps (the steps each chain ran, in order) and the
 * job table: every step of every chain ran exactly once, in order, no job failed, and the job
 * table is empty at the end. A latency round checks its chains the same way. Every problem is
 * reported with its counts; the benchmark fails on any.
 */
import { Logger, makeWorkerUtils, type Runner, run, runMigrations, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import {
  type BenchSystem,
  type Durability,
  type LatencyResult,
  type RunResult,
  STALL_MS,
  type Workload,
  waitWhileProgressing,
} from './orchestrator-system';

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

  /**
   * What is wrong after `count` chains numbered from `first` (the run's 0, 1, …; the latency
   * round's -1, -2, …) ran: [] if nothing.
   */
  const check = async (count: number, first: number): Promise<string[]> => {
    const problems: string[] = [];
    const steps = count * 4;
    if (executed !== steps) problems.push(`${executed} steps ran, expected ${steps}`);
    let lost = 0;
    let repeated = 0;
    let disordered = 0;
    for (let i = 0; i < count; i++) {
      const s = ran.get(first < 0 ? first - i : first + i) ?? [];
      const counts = [1, 2, 3, 4].map((n) => s.filter((x) => x === n).length);
      if (counts.some((n) => n === 0)) lost++;
      else if (counts.some((n) => n > 1)) repeated++;
      else if (s.some((n, k) => n !== k + 1)) disordered++;
    }
    if (lost + repeated + disordered > 0)
      problems.push(
        `of ${count} chains, ${lost} lost a step, ${repeated} ran a step more than once, ${disordered} ran out of order`,
      );
    const left = await remaining();
    if (left > 0) problems.push(`${left} jobs left in the queue`);
    if (failures.length > 0) problems.push(`${failures.length} jobs failed: ${failures[0]}`);
    return problems;
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
      // Durably complete: every step ran, and the rows of completed jobs are deleted.
      const finished =
        (await waitWhileProgressing(
          () => executed,
          (n) => n >= steps,
        )) && (await waitWhileProgressing(remaining, (n) => n === 0));
      const runMs = performance.now() - started;
      await runner.stop();

      const problems = await check(count, 0);
      if (!finished) problems.unshift(`stalled (no progress for ${STALL_MS} ms)`);
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

    async latency(samples: number, warmup: number): Promise<LatencyResult> {
      await reset();
      const runner = await start();
      const times: number[] = [];
      const problems: string[] = [];
      let submitted = 0;
      for (let i = 0; i < warmup + samples; i++) {
        const c = -1 - i;
        const started = performance.now();
        const done = new Promise<string | undefined>((resolve) => {
          finished.set(c, resolve);
          setTimeout(() => resolve(undefined), STALL_MS).unref();
        });
        await utils.addJob('step', { c, n: 1 });
        submitted++;
        const jobId = await done;
        finished.delete(c);
        if (jobId === undefined) {
          problems.push(
            `latency chain ${i} did not finish in ${STALL_MS} ms (ran ${ran.get(c) ?? 'nothing'})`,
          );
          break;
        }
        // Durably complete: its row is gone.
        while ((await pgPool.query(`select 1 from ${JOBS} where id = $1`, [jobId])).rows.length > 0);
        const elapsed = performance.now() - started;
        if (i >= warmup) times.push(elapsed);
      }
      await runner.stop();
      problems.push(...(await check(submitted, -1)));
      return { samples: times, problems };
    },

    async close() {
      await utils.release();
      await pgPool.end();
    },
  };
}
