/**
 * The delayed-start part of the flow-control benchmark (issue #14: "`runAt`: … While idle, how
 * soon the start follows it"): the claim's time minus the task's `run_at`, both as the database
 * holds them (the `created_at` of the step's `claimed` transition is the `now` the claim
 * compared `ready_at` with; `run_at` is the instant asked for). Beside it, the handler's start
 * minus `run_at`: the handler's `Date.now()` against the database's `run_at` (the database runs
 * on this machine, on the same clock), which adds the claim's round trip.
 *
 * Two set-ups, each on its own database, each idle between rounds, with the engine's default
 * settings:
 * - `in-process`: one engine, started once, that submits and runs the tasks itself;
 * - `workers`: two worker processes (`orchestrator-flow-worker.ts`), started once, and tasks
 *   submitted from this process by an engine that is never started (their wake-up comes by
 *   NOTIFY).
 * A round submits `count` one-step tasks, one at a time, with `runAt` from `leadMs` to
 * `leadMs + spreadMs` ahead of the database's clock, evenly spread, then waits until every one
 * completed. A start before `run_at`, a task that does not complete, or a submit still going on
 * when the first `runAt` fell due, is a problem that fails the benchmark.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createPostgresStore, createTasker, type Tasker, type TaskStore } from '@tasker/orchestrator';
import pg from 'pg';
import { type ScriptProcess, ScriptProcesses } from '../test-support/src/script-processes';
import { delayedTask } from './orchestrator-flow-tasks';

const WORKER_SCRIPT = fileURLToPath(new URL('./orchestrator-flow-worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const WAIT_MS = 30_000;
const ref = {
  namespace: delayedTask.namespace,
  name: delayedTask.name,
  version: delayedTask.version,
} as const;

export type RunAtSetup = 'in-process' | 'workers';

/** One round of one set-up. */
export interface RunAtRound {
  readonly round: number;
  readonly setup: RunAtSetup;
  /** Claim time minus `run_at`, ms, one per task. */
  readonly samplesMs: number[];
  /**
   * The handler's start minus `run_at`, ms, one per task: `Date.now()` in the handler against
   * the database's `run_at`, comparable because the database runs on this machine's clock.
   */
  readonly handlerMs: number[];
  /** How long the round's submits took, and how long before the first `runAt` they ended. */
  readonly submitMs: number;
  readonly submitSlackMs: number;
  readonly problems: string[];
}

export interface RunAtOptions {
  readonly count: number;
  readonly leadMs: number;
  readonly spreadMs: number;
  readonly workers: number;
}

export interface RunAtRunner {
  run(setup: RunAtSetup, round: number): Promise<RunAtRound>;
  /** Stops everything; returns the worker processes' error lines and any unclean exit. */
  close(): Promise<string[]>;
}

interface SetUp {
  readonly store: TaskStore;
  readonly admin: pg.Client;
  readonly tasker: Tasker;
}

/** Starts both set-ups on the (empty) databases at `urls`. */
export async function createRunAtRunner(
  urls: Readonly<Record<RunAtSetup, string>>,
  options: RunAtOptions,
): Promise<RunAtRunner> {
  const errors: string[] = [];
  // Task id → Date.now() when its handler started, in this process or (from its lines) a worker.
  const handlerStarts = new Map<string, number>();
  const setUp = async (setup: RunAtSetup): Promise<SetUp> => {
    const store = await createPostgresStore({ connectionString: urls[setup], poolSize: 10 });
    const admin = new pg.Client({ connectionString: urls[setup] });
    await admin.connect();
    const tasker = createTasker({
      store,
      tasks: [delayedTask],
      handlers: {
        noop: (ctx) => {
          handlerStarts.set(ctx.taskId, Date.now());
          return null;
        },
      },
      onError: (error, during) => errors.push(`${setup}: ${during}: ${(error as Error).message}`),
    });
    return { store, admin, tasker };
  };
  const sides: Record<RunAtSetup, SetUp> = {
    'in-process': await setUp('in-process'),
    workers: await setUp('workers'),
  };
  await sides['in-process'].tasker.start();
  const processes = new ScriptProcesses(WORKER_SCRIPT, { cwd: REPO_ROOT });
  const started: ScriptProcess[] = [];
  for (let i = 0; i < options.workers; i++)
    started.push(await processes.start({ FLOW_DATABASE_URL: urls.workers }));

  return {
    async run(setup, round) {
      const { admin, tasker } = sides[setup];
      const problems: string[] = [];
      const dbNow = async () =>
        Number(
          (
            await admin.query<{ now: string }>(
              'select (extract(epoch from clock_timestamp()) * 1000)::bigint as now',
            )
          ).rows[0]?.now,
        );
      const base = (await dbNow()) + options.leadMs;
      const ids: string[] = [];
      const submitting = performance.now();
      for (let i = 0; i < options.count; i++) {
        const runAt = base + Math.round((options.spreadMs * i) / options.count);
        ids.push((await tasker.submit({ ...ref, context: { round, i }, runAt })).taskId);
      }
      const submitMs = performance.now() - submitting;
      const submitSlackMs = base - (await dbNow());
      if (submitSlackMs < 0)
        problems.push(
          `the submits ended ${-submitSlackMs} ms after the first runAt: the engine was not idle`,
        );
      const deadline = performance.now() + options.spreadMs + WAIT_MS;
      let complete = 0;
      while (complete < ids.length && performance.now() < deadline) {
        await sleep(100);
        complete = Number(
          (
            await admin.query<{ n: number }>(
              `select count(*)::int as n from tasker.tasks where id = any($1::uuid[]) and state = 'complete'`,
              [ids],
            )
          ).rows[0]?.n,
        );
      }
      if (complete < ids.length) problems.push(`${complete} of ${ids.length} delayed tasks completed`);
      const lags = await admin.query<{ id: string; lag: number; run_at: number }>(
        `select t.id, (tr.created_at - t.run_at)::float8 as lag, t.run_at::float8 as run_at
         from tasker.transitions tr join tasker.tasks t on t.id = tr.task_id
         where tr.reason = 'claimed' and t.id = any($1::uuid[])`,
        [ids],
      );
      const samplesMs = lags.rows.map((r) => r.lag);
      for (const p of started)
        for (const line of p.lines) {
          const [kind, taskId, at] = line.split('\t');
          if (kind === 'started') handlerStarts.set(taskId as string, Number(at));
        }
      const handlerMs = lags.rows.flatMap((r) => {
        const at = handlerStarts.get(r.id);
        return at === undefined ? [] : [at - r.run_at];
      });
      if (handlerMs.length !== ids.length)
        problems.push(`${handlerMs.length} handler starts seen for ${ids.length} tasks`);
      if (samplesMs.length !== ids.length)
        problems.push(`${samplesMs.length} claims for ${ids.length} one-step tasks`);
      const early = samplesMs.filter((l) => l < 0);
      if (early.length > 0)
        problems.push(`${early.length} steps claimed before their runAt (${early.join(', ')} ms)`);
      return { round, setup, samplesMs, handlerMs, submitMs, submitSlackMs, problems };
    },

    async close() {
      const trouble = [...errors];
      for (const [w, p] of started.entries()) {
        trouble.push(...p.lines.filter((l) => l.startsWith('error\t')).map((l) => `worker ${w + 1}: ${l}`));
        const exit = await processes.stop(p, 'SIGTERM');
        if (exit.code !== 0)
          trouble.push(`worker ${w + 1} did not stop cleanly (${exit.code ?? exit.signal})`);
      }
      await processes.killAll();
      await sides['in-process'].tasker.stop();
      for (const side of Object.values(sides)) {
        await side.admin.end();
        await side.store.close();
      }
      return trouble;
    },
  };
}
