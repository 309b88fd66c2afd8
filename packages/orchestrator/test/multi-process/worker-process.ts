/**
 * One engine process for the multi-process tests. It runs the `mp.*` tasks' steps against the
 * database in TASKER_MP_DATABASE_URL until SIGTERM. Every handler call writes a row to
 * `side_effects` through its own connection (TASKER_MP_SIDE_URL, default the same database),
 * so a test can see which process ran which attempt even while the engine's connection is cut.
 *
 * - TASKER_MP_LEASE_MS: the engine's lease (default 2000).
 * - TASKER_MP_POLL_MS: its poll interval (default 100).
 * - TASKER_MP_CLOCK_SYNC_MS: how often it re-syncs its clock to the database's (default the
 *   engine's, 60 000).
 * - TASKER_MP_CONCURRENCY: handlers running at once (default 8).
 * - TASKER_MP_GATE=1: `work` handlers wait, after writing their row, while `gate.open` is false.
 * - TASKER_MP_DEPLOY: `v1` registers only `mp.deploy@1.0.0`, `v2` both of its versions (a
 *   rolling deploy's old and new code); unset, the other `mp.*` tasks.
 *
 * `timed` handlers (the `mp.outage` task) run for `handlerConfig.ms`, stop when their signal
 * fires, and print `run\t<step id>\t<attempt>\t<start ms>\t<end ms>\t<done|aborted>` (wall
 * clock of this machine, shared by every process of a test) when they end.
 *
 * It prints `ready` once started, and one tab-separated line per background error, transient
 * database error and lost connection (`error`, `transient`, `connection`), for the tests to
 * count.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createPostgresStore, createTasker, type StepContext } from '../../src/index';
import { deployV1, deployV2, leaseTask, multiProcessTask, outageTask } from './task';

const url = process.env.TASKER_MP_DATABASE_URL as string;
const leaseMs = Number(process.env.TASKER_MP_LEASE_MS ?? 2_000);
const pollIntervalMs = Number(process.env.TASKER_MP_POLL_MS ?? 100);
const clockSync = process.env.TASKER_MP_CLOCK_SYNC_MS;
const concurrency = Number(process.env.TASKER_MP_CONCURRENCY ?? 8);
const gated = process.env.TASKER_MP_GATE === '1';
const deploy = process.env.TASKER_MP_DEPLOY;
const tasks =
  deploy === 'v1'
    ? [deployV1]
    : deploy === 'v2'
      ? [deployV1, deployV2]
      : [multiProcessTask, leaseTask, outageTask];

function report(kind: string, error: unknown, detail = ''): void {
  const e = error as { code?: unknown; message?: unknown };
  const message = String(e?.message ?? error).replace(/\s+/g, ' ');
  process.stdout.write(`${kind}\t${detail}\t${String(e?.code ?? '')}\t${message}\n`);
}

const side = new pg.Pool({ connectionString: process.env.TASKER_MP_SIDE_URL ?? url, max: 4 });
side.on('error', () => {});
const store = await createPostgresStore({
  connectionString: url,
  poolSize: 6,
  onConnectionError: (error) => report('connection', error),
  onTransientError: (error, attempt) => report('transient', error, String(attempt)),
});

async function record(ctx: StepContext): Promise<void> {
  await side.query('insert into side_effects (step_id, step_name, attempt, pid) values ($1, $2, $3, $4)', [
    ctx.stepId,
    ctx.stepName,
    ctx.attempt,
    process.pid,
  ]);
}

async function gate(ctx: StepContext): Promise<void> {
  for (let waited = false; ; waited = true) {
    const r = await side.query<{ open: boolean }>('select open from gate');
    if (r.rows[0]?.open === true) {
      if (waited) await side.query('update gate_waits set passed = true where step_id = $1', [ctx.stepId]);
      return;
    }
    if (!waited) await side.query('insert into gate_waits (step_id) values ($1)', [ctx.stepId]);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const tasker = createTasker({
  store,
  tasks,
  handlers: {
    work: async (ctx) => {
      await record(ctx);
      if (gated) await gate(ctx);
      return process.pid;
    },
    timed: async (ctx) => {
      const started = Date.now();
      let end = 'done';
      try {
        await sleep(Number(ctx.handlerConfig.ms), undefined, { signal: ctx.signal });
      } catch (error) {
        end = 'aborted';
        throw error;
      } finally {
        process.stdout.write(`run\t${ctx.stepId}\t${ctx.attempt}\t${started}\t${Date.now()}\t${end}\n`);
      }
      return process.pid;
    },
    hangOnFirstAttempt: async (ctx) => {
      await record(ctx);
      if (ctx.attempt === 1) await new Promise(() => {});
      return process.pid;
    },
  },
  config: {
    engine: {
      pollIntervalMs,
      leaseMs,
      batchSize: 10,
      ...(clockSync === undefined ? {} : { clockSyncIntervalMs: Number(clockSync) }),
    },
    execution: { concurrency },
  },
  onError: (error, during) => report('error', error, during),
});
await tasker.start();
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await tasker.stop();
  await store.close();
  await side.end();
  process.exit(0);
});
