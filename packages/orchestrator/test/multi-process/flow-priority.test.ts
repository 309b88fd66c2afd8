/**
 * Priorities across processes (issue #14, acceptance 1): 3 engine processes work a backlog of
 * 1,000 one-step tasks of priority 0 (80–120 ms each, so it lasts seconds); meanwhile a task of
 * priority 100 is submitted, and once it started, one of priority 1. Each must be taken by the
 * first claim, on any worker, that begins after its submit commits. The engine runs with its
 * default aging (60 s per level).
 *
 * What "the first claim that begins after the commit" means, measurably. Every worker prints,
 * for each claim statement, the wall-clock time just before it went to the driver (`sent`) and
 * just after its result came back (`returned`), the `now` it claimed with, and what it claimed
 * (one machine: every process reads the same wall clock). This process notes the wall clock
 * before the submit (`before`) and after it resolved (`after`): the commit lies between.
 *
 * - A claim sent after `after` began after the commit, so its statement (its snapshot, its
 *   walks) sees the new step.
 * - A claim in flight across the commit (sent by `after`, returned from `before` on) may have
 *   walked and locked the new step with a snapshot taken before the commit, in which its
 *   `update` cannot see the row: it then claims it not, and holds its lock until it commits
 *   (the walks read committed rows afresh, the statement's update does not). Until every such
 *   claim has returned, other claims skip the step (`skip locked`) through no fault of the
 *   order. So the rule starts once they all returned: t0 = max(after, their latest `returned`).
 * - A claim whose `now` is before the step's `ready_at` (its creation on the submitter's clock)
 *   does not see it as ready: clocks differ by up to the clock sync's error bound.
 *
 * The rule: every claim sent after t0 whose `now` is at or after the step's `ready_at`, other
 * than the claim H that took the step, returned after H was sent: it either ran alongside H
 * (the step locked by H's walk is skipped) or after it. A claim that began and ended while the
 * step was free and visible, and took something else or nothing, breaks it. Recorded times err
 * on the safe side (`sent` no later than the send, `returned` no earlier than the commit), so a
 * violation found is a real one.
 *
 * The test also shows that the backlog was still being claimed after H (so the step had to
 * jump it), and that aging could not let the backlog outrank it: its oldest step claimed after H
 * had waited less than (priority difference) × 60 s when the high task was created.
 */
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/index';
import {
  type ClaimLine,
  claimLines,
  FlowWorkerProcesses,
  flowSubmitter,
  submitAll,
  troubleLines,
} from '../support/flow-workers';
import { describeWithPostgres } from '../support/postgres';
import { until } from '../support/until';

const BACKLOG = 1_000;
const WORKERS = 3;
const HIGH = [100, 1];
/** The engine's default `engine.priorityAgingMs`, which the workers run with. */
const AGING_MS = 60_000;

interface HighTask {
  readonly priority: number;
  readonly taskId: string;
  readonly before: number;
  readonly after: number;
}

describeWithPostgres('priorities across worker processes', (database) => {
  const workers = new FlowWorkerProcesses();
  afterAll(() => workers.killAll());

  it('gives a high-priority step to the first claim that begins after its submit commits, ahead of a backlog of 1,000', async () => {
    const url = database().url;
    const store = await createPostgresStore({ connectionString: url, poolSize: 4 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const submitter = flowSubmitter(store);
      const ranked = { namespace: 'mpflow', name: 'ranked', version: '1.0.0' } as const;
      const backlog = await submitAll(
        submitter,
        Array.from({ length: BACKLOG }, (_, i) => ({ ...ranked, context: { i } })),
      );
      const started = await Promise.all(
        Array.from({ length: WORKERS }, () =>
          workers.start({ TASKER_MP_DATABASE_URL: url, TASKER_MP_LOG_CLAIMS: '1' }),
        ),
      );
      const claimedCount = async () =>
        Number(
          (
            await admin.query<{ n: number }>(
              `select count(*)::int as n from tasker.steps where state <> 'pending'`,
            )
          ).rows[0]?.n,
        );
      // Every worker is claiming, in its steady state, with most of the backlog still waiting.
      await until('150 backlog steps claimed', claimedCount, (n) => n >= 150, { intervalMs: 20 });

      const highs: HighTask[] = [];
      for (const priority of HIGH) {
        const before = Date.now();
        const { taskId } = await submitter.submit({ ...ranked, context: { high: priority }, priority });
        const after = Date.now();
        highs.push({ priority, taskId, before, after });
        await until(
          `the priority ${priority} step claimed`,
          async () =>
            (
              await admin.query<{ state: string }>('select state from tasker.steps where task_id = $1', [
                taskId,
              ])
            ).rows[0]?.state,
          (state) => state !== 'pending',
          { intervalMs: 5 },
        );
      }
      await until(
        'every task complete',
        async () =>
          Number(
            (
              await admin.query<{ n: number }>(
                `select count(*)::int as n from tasker.tasks where state = 'complete'`,
              )
            ).rows[0]?.n,
          ),
        (n) => n === BACKLOG + HIGH.length,
        { intervalMs: 100 },
      );
      for (const w of started) expect(await workers.stop(w)).toEqual({ code: 0, signal: null });
      expect(troubleLines(started)).toEqual([]);
      // No lease was taken over: every claim took fresh steps only.
      const takeovers = await admin.query(`select 1 from tasker.transitions where reason = 'lease_expired'`);
      expect(takeovers.rows).toEqual([]);

      const claims = claimLines(started).sort((a, b) => a.sent - b.sent);
      const steps = await admin.query<{ id: string; task_id: string; priority: number; ready_at: number }>(
        'select s.id, s.task_id, s.priority, t.created_at::float8 as ready_at from tasker.steps s join tasker.tasks t on t.id = s.task_id',
      );
      expect(steps.rows.length).toBe(BACKLOG + HIGH.length);
      const stepOf = new Map(steps.rows.map((s) => [s.task_id, s]));
      const byStep = new Map(steps.rows.map((s) => [s.id, s]));
      // Each step was claimed by exactly one printed claim.
      expect(claims.flatMap((c) => c.stepIds).sort()).toEqual(steps.rows.map((s) => s.id).sort());

      for (const high of highs) {
        const step = stepOf.get(high.taskId) as { id: string; priority: number; ready_at: number };
        expect(step.priority).toBe(high.priority);
        const taker = claims.filter((c) => c.stepIds.includes(step.id));
        expect(taker.length).toBe(1);
        const h = taker[0] as ClaimLine;
        const inFlight = claims.filter((c) => c.sent <= high.after && c.returned >= high.before);
        const t0 = Math.max(high.after, ...inFlight.map((c) => c.returned));
        const bound = claims.filter((c) => c !== h && c.sent > t0 && c.now >= step.ready_at);
        const violations = bound.filter((c) => c.returned < h.sent);
        // Informational: claims sent after the submit returned that ended before H was sent (some
        // may be excused by a claim in flight across the commit).
        const ahead = claims.filter(
          (c) => c !== h && c.sent > high.after && c.now >= step.ready_at && c.returned < h.sent,
        );
        // The backlog steps claimed after H: they were waiting, and the high step went first.
        const passed = claims
          .filter((c) => c.sent > h.returned)
          .flatMap((c) => c.stepIds.map((id) => byStep.get(id)))
          .filter((s) => s !== undefined && s.priority === 0) as { ready_at: number }[];
        const oldestPassed = Math.min(...passed.map((s) => s.ready_at));
        console.log(
          `priority ${high.priority}: submit ${high.after - high.before} ms; ${inFlight.length} claims in flight at the commit, the last returned ${t0 - high.after} ms after it; ` +
            `taken by a claim sent ${h.sent - high.after} ms after the submit returned, ${ahead.length} claims sent after the submit returned had ended before; ` +
            `${bound.length} later claims bound by the rule, ${violations.length} broke it; ${passed.length} backlog steps claimed after it, the oldest ready ${step.ready_at - oldestPassed} ms before it`,
        );
        expect(violations).toEqual([]);
        expect(passed.length).toBeGreaterThanOrEqual(50);
        // The backlog is of priority 0: aging lifts it past the high step only after priority × AGING_MS.
        expect(step.ready_at - oldestPassed).toBeLessThan(high.priority * AGING_MS);
      }
      expect(backlog.length).toBe(BACKLOG);
    } finally {
      await admin.end();
      await store.close();
    }
  }, 240_000);
});
