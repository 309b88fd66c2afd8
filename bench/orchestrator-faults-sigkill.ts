/**
 * Recovery after a SIGKILL (issue #11, "Recovery in seconds"): how long after a worker process
 * is killed in the middle of its steps another, busy one has claimed every one of them.
 *
 * One round, on its own database (emptied first), with two worker processes
 * (`orchestrator-faults-worker.ts`), each with the engine's default settings:
 *
 * 1. `orphans` `faults.hang` tasks and a backlog of `backlog` `faults.busy` chains are
 *    submitted (from this process, which runs no handler).
 * 2. The victim starts; it registers `faults.hang` only and holds every `hang` step, whose first
 *    attempt hangs until aborted.
 * 3. The survivor starts and works through the backlog (it registers both tasks). Once it has
 *    completed some backlog steps, and after a random pause of up to one renewal interval (so
 *    that the kill falls anywhere in the victim's renewal cycle), the victim is killed with
 *    SIGKILL. The time of the kill is the database's clock, read just before.
 * 4. Recovery ends when the survivor has claimed every orphan: the claim transitions
 *    (`pending → in_progress` after `in_progress → pending` with reason `lease_expired`),
 *    whose `created_at` is the engine's clock (in epoch ms, synced to the database's).
 * 5. The survivor drains the backlog and is stopped (SIGTERM), and the round is checked: every
 *    task and step complete exactly once, DAG order kept (`auditRun`); each orphan's trail is
 *    exactly claimed by the victim, lease expired, claimed by the survivor, complete, and the
 *    takeover came no earlier than the lease the victim left; the survivor was still busy when
 *    it claimed the last orphan (it claimed at least its concurrency of backlog steps after).
 *    A round that fails a check fails the benchmark.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createPostgresStore, createTasker, parseConfig, type TaskStore } from '@tasker/orchestrator';
import pg from 'pg';
import {
  type ScriptProcess as WorkerProcess,
  ScriptProcesses as WorkerProcesses,
} from '../test-support/src/script-processes';
import { auditRun, type QueryRows } from './orchestrator-audit';
import { busyTask, hangTask } from './orchestrator-faults-tasks';
import { STALL_MS, waitWhileProgressing } from './orchestrator-system';

const WORKER_SCRIPT = fileURLToPath(new URL('./orchestrator-faults-worker.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The engine defaults the worker processes run with. */
export const ENGINE_DEFAULTS = parseConfig().engine;
/** Leases are renewed this often with the defaults (a third of the lease, see `leaseTiming`). */
const RENEW_MS = ENGINE_DEFAULTS.leaseMs / 3;
// The survivor counts as busy once it has completed this many backlog steps.
const WARM_STEPS = 50;

/** One round, every time in ms. */
export interface SigkillRound {
  readonly round: number;
  readonly orphans: number;
  /** From the kill to the survivor's claim of the last orphan: the measurement. */
  readonly recoveryMs: number;
  /** From the kill to the claim of each orphan. */
  readonly claimsMs: readonly number[];
  /** From the kill to the end of the last lease the victim left. */
  readonly leaseEndMs: number;
  /** From the end of the victim's last lease to the claim of the last orphan. */
  readonly afterLeaseMs: number;
  /** Backlog steps the survivor claimed after it claimed the last orphan. */
  readonly busyClaimsAfter: number;
  /** Backlog steps the survivor had completed before the kill. */
  readonly busyCompletedBeforeKill: number;
  readonly survivorConcurrency: number;
  readonly notes: readonly string[];
  readonly problems: readonly string[];
}

/** Runs SIGKILL rounds on the database at `url`. */
export interface SigkillRig {
  durability(): Promise<{ fsync: string; synchronousCommit: string }>;
  round(round: number): Promise<SigkillRound>;
  /** Kills any worker process still running (by pid) and closes the connections. */
  close(): Promise<void>;
}

const SQL = {
  now: 'select (extract(epoch from clock_timestamp()) * 1000)::float8 as now',
  held: `select count(*)::int as n from tasker.steps
    where name = 'hang' and state = 'in_progress' and lease_owner like $1`,
  busyDone: `select count(*)::int as n from tasker.steps where name like 'b_' and state = 'complete'`,
  leases: `select id, lease_expires_at::float8 as lease_end from tasker.steps
    where name = 'hang' and state = 'in_progress' and lease_owner like $1`,
  takeovers: `select t.step_id, t.created_at::float8 as at from tasker.transitions t
    join tasker.steps s on s.id = t.step_id
    where s.name = 'hang' and t.from_state = 'pending' and t.to_state = 'in_progress' and t.metadata->>'worker' like $1`,
  tasksDone: `select count(*)::int as n from tasker.tasks where state = 'complete'`,
  busyClaimsAfter: `select count(*)::int as n from tasker.transitions t join tasker.steps s on s.id = t.step_id
    where s.name like 'b_' and t.to_state = 'in_progress' and t.created_at > $1::bigint`,
  trails: `select s.id,
      array_agg(coalesce(t.from_state, '') || ' > ' || t.to_state || coalesce(' (' || t.reason || ')', '') order by t.id) as trail,
      array_agg(coalesce(t.metadata->>'worker', '') order by t.id) as workers,
      array_agg(t.created_at::float8 order by t.id) as ats
    from tasker.steps s join tasker.transitions t on t.step_id = s.id
    where s.name = 'hang' group by s.id`,
  concurrency: 'select max(concurrency)::int as n from tasker.workers where pid = $1',
} as const;

// The trail of an orphan, as `trails` spells it: created, claimed by the victim, its lease
// expired, claimed by the survivor, complete.
const EXPECTED_TRAIL = [
  ' > pending',
  'pending > in_progress (claimed)',
  'in_progress > pending (lease_expired)',
  'pending > in_progress (claimed)',
  'in_progress > complete',
];

const byPid = (pid: number) => `%:${pid}:%`;

async function inParallel(count: number, parallelism: number, body: (i: number) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < count) await body(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallelism, count) }, lane));
}

/** Polls `read` every `everyMs` until `done` accepts it; false after `timeoutMs`. */
async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = STALL_MS,
  everyMs = 20,
) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (done(await read())) return true;
    if (performance.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/**
 * Migrates the store at `url` and returns the rig; every round submits `orphans` hanging tasks
 * and `backlog` busy chains.
 */
export async function createSigkillRig(
  url: string,
  settings: { readonly orphans: number; readonly backlog: number },
): Promise<SigkillRig> {
  const { orphans, backlog } = settings;
  const store: TaskStore = await createPostgresStore({ connectionString: url, poolSize: 4 });
  await store.migrate();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const rows: QueryRows = async <Row>(text: string, params?: readonly unknown[]) =>
    (await admin.query(text, params ? [...params] : undefined)).rows as Row[];
  const one = async <Row>(text: string, params?: readonly unknown[]) =>
    (await rows<Row>(text, params))[0] as Row;
  const count = async (text: string, params?: readonly unknown[]) =>
    (await one<{ n: number }>(text, params)).n;
  const workers = new WorkerProcesses(WORKER_SCRIPT, { cwd: REPO_ROOT });
  const notHere = async () => {
    throw new Error('handlers run in the worker processes');
  };
  // Submits only: it is never started.
  const submitter = createTasker({
    store,
    tasks: [hangTask, busyTask],
    handlers: { hang: notHere, busy: notHere },
  });
  const env = (role: 'victim' | 'survivor') => ({ FAULTS_DATABASE_URL: url, FAULTS_ROLE: role });

  async function round(round: number): Promise<SigkillRound> {
    await admin.query('truncate tasker.tasks, tasker.workers cascade');
    const problems: string[] = [];
    const notes: string[] = [];
    const failed = (problem: string): SigkillRound => ({
      round,
      orphans,
      recoveryMs: Number.NaN,
      claimsMs: [],
      leaseEndMs: Number.NaN,
      afterLeaseMs: Number.NaN,
      busyClaimsAfter: 0,
      busyCompletedBeforeKill: 0,
      survivorConcurrency: 0,
      notes,
      problems: [...problems, problem],
    });
    for (let i = 0; i < orphans; i++)
      await submitter.submit({ namespace: 'faults', name: 'hang', version: '1.0.0', context: { i } });
    await inParallel(backlog, 8, (i) =>
      submitter.submit({ namespace: 'faults', name: 'busy', version: '1.0.0', context: { i } }),
    );

    let victim: WorkerProcess | undefined;
    let survivor: WorkerProcess | undefined;
    try {
      victim = await workers.start(env('victim'));
      if (
        !(await until(
          () => count(SQL.held, [byPid(victim!.pid)]),
          (n) => n === orphans,
        ))
      )
        return failed(`the victim did not hold all ${orphans} hang steps within ${STALL_MS} ms`);
      survivor = await workers.start(env('survivor'));
      if (
        !(await until(
          () => count(SQL.busyDone),
          (n) => n >= Math.min(WARM_STEPS, backlog),
        ))
      )
        return failed(`the survivor did not complete ${WARM_STEPS} backlog steps within ${STALL_MS} ms`);
      await sleep(Math.random() * RENEW_MS);

      const busyCompletedBeforeKill = await count(SQL.busyDone);
      const killedAt = (await one<{ now: number }>(SQL.now)).now;
      const killed = await workers.stop(victim, 'SIGKILL');
      if (killed.signal !== 'SIGKILL') problems.push(`the victim ended with ${killed.code ?? killed.signal}`);
      // The leases as the victim left them: nothing renews them now, and the survivor cannot
      // take one before it ends.
      const leases = await rows<{ id: string; lease_end: number }>(SQL.leases, [byPid(victim.pid)]);
      if (leases.length !== orphans)
        problems.push(
          `${leases.length} of ${orphans} hang steps were still leased to the victim after the kill`,
        );
      const leaseEnd = new Map(leases.map((l) => [l.id, l.lease_end]));

      type Takeover = { step_id: string; at: number };
      let takeovers: Takeover[] = [];
      const claimedAll = await until(
        async () => (takeovers = await rows<Takeover>(SQL.takeovers, [byPid(survivor!.pid)])),
        (t) => t.length >= orphans,
      );
      if (!claimedAll)
        return failed(`the survivor claimed ${takeovers.length} of ${orphans} orphans within ${STALL_MS} ms`);
      const claimsMs = takeovers.map((t) => t.at - killedAt).sort((a, b) => a - b);
      const recoveredAt = Math.max(...takeovers.map((t) => t.at));
      const lastLeaseEnd = Math.max(...leases.map((l) => l.lease_end));

      const total = orphans + backlog;
      const drained = await waitWhileProgressing(
        () => count(SQL.tasksDone),
        (n) => n >= total,
        undefined,
        100,
      );
      if (!drained) problems.push(`tasks stalled before all ${total} completed`);
      const survivorConcurrency = await count(SQL.concurrency, [survivor.pid]);
      const stopped = await workers.stop(survivor, 'SIGTERM');
      if (stopped.code !== 0)
        problems.push(`the survivor did not stop cleanly (${stopped.code ?? stopped.signal})`);
      const errors = survivor.lines.filter((l) => l.startsWith('error\t'));
      if (errors.length > 0) notes.push(`survivor errors: ${errors.slice(0, 3).join('; ')}`);

      problems.push(...(await auditRun(rows, { tasks: total, steps: orphans + backlog * 4 })));
      const trails = await rows<{ id: string; trail: string[]; workers: string[]; ats: number[] }>(
        SQL.trails,
      );
      for (const t of trails) {
        const [, byVictim, , bySurvivor] = t.workers;
        if (
          t.trail.join('|') !== EXPECTED_TRAIL.join('|') ||
          !byVictim?.includes(`:${victim.pid}:`) ||
          !bySurvivor?.includes(`:${survivor.pid}:`)
        ) {
          problems.push(`orphan ${t.id}: trail ${t.trail.join(', ')} by ${t.workers.join(', ')}`);
        } else if ((t.ats[3] as number) < (leaseEnd.get(t.id) ?? Number.POSITIVE_INFINITY)) {
          problems.push(
            `orphan ${t.id} was taken over at ${t.ats[3]}, before its lease ended (${leaseEnd.get(t.id)})`,
          );
        }
      }
      const busyClaimsAfter = await count(SQL.busyClaimsAfter, [recoveredAt]);
      if (busyClaimsAfter < survivorConcurrency)
        problems.push(
          `the survivor claimed only ${busyClaimsAfter} backlog steps after the last orphan: it was not busy (raise the backlog)`,
        );
      return {
        round,
        orphans,
        recoveryMs: recoveredAt - killedAt,
        claimsMs,
        leaseEndMs: lastLeaseEnd - killedAt,
        afterLeaseMs: recoveredAt - lastLeaseEnd,
        busyClaimsAfter,
        busyCompletedBeforeKill,
        survivorConcurrency,
        notes,
        problems,
      };
    } finally {
      if (victim !== undefined) await workers.stop(victim, 'SIGKILL');
      if (survivor !== undefined) await workers.stop(survivor, 'SIGKILL');
    }
  }

  return {
    async durability() {
      return {
        fsync: (await one<{ fsync: string }>('show fsync')).fsync,
        synchronousCommit: (await one<{ synchronous_commit: string }>('show synchronous_commit'))
          .synchronous_commit,
      };
    },
    round,
    async close() {
      await workers.killAll();
      await admin.end();
      await store.close();
    },
  };
}
