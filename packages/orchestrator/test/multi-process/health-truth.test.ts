/**
 * Health that tells the truth (issue #13), on a private PostgreSQL, with `/health/status`'s cache
 * off: each unhealthy condition turns the endpoint that owns it to 503, and back.
 *
 * - A stale claim loop (a claim blocked behind a lock on `tasker.steps`): `/health/ready`.
 * - The error rate over its threshold: `/health/status`, until the failures leave the window.
 * - The server stopped: `/health/ready` and `/health/status`.
 * - Workers stopped: `/health/ready` (this process's), `/health/status` (no live worker
 *   anywhere), which comes back when another engine starts.
 * `/health/live` answers 200 throughout.
 */
import pg from 'pg';
import { expect, it } from 'vitest';
import { createTaskerApi } from '../../src/api/index';
import { createPostgresStore, createTasker, defineTask, PermanentError, type Tasker } from '../../src/index';
import { createTestDatabase, describeWithPrivatePostgres } from '../support/postgres';
import { until } from '../support/until';

const health = {
  statusCacheMs: 0,
  staleAfterMs: 1_500,
  windowMs: 4_000,
  minAttempts: 4,
  maxErrorRate: 0.5,
};

type HealthCheck = { status: string; message?: string };

/** The fields of the ready and status bodies this test reads. */
interface HealthBody {
  readonly status: string;
  readonly checks: { database: HealthCheck; migrations: HealthCheck; workers: HealthCheck };
  readonly reasons: string[];
  readonly attempts: { ended: number; failed: number; errored: number };
  readonly database: { answered: boolean; pool: { max: number } | null };
}

const fails = defineTask({
  namespace: 'health',
  name: 'fails',
  version: '1.0.0',
  steps: [{ name: 'boom', handler: 'boom', retryLimit: 0 }],
});

describeWithPrivatePostgres('health endpoints under faults', (server) => {
  it('turn 503 for each unhealthy condition, naming it, and back', async () => {
    const db = await createTestDatabase(server().url);
    const store = await createPostgresStore({
      connectionString: db.url,
      poolSize: 4,
      onConnectionError: () => {},
    });
    const engine = (s = store) =>
      createTasker({
        store: s,
        tasks: [fails],
        handlers: {
          boom: async () => {
            throw new PermanentError('boom');
          },
        },
        config: { engine: { pollIntervalMs: 100, heartbeatIntervalMs: 200 }, health },
        onError: () => {},
      });
    const tasker = engine();
    await tasker.start();
    const api = createTaskerApi({ tasker, readyTimeoutMs: 1_000, auth: { healthStatusRequiresAuth: false } });
    const http = await api.listen();
    const others: Tasker[] = [];
    const admin = new pg.Client({ connectionString: db.url });
    // The server stop ends this connection too; it is not used after that.
    admin.on('error', () => {});
    await admin.connect();
    const get = async (path: string) => {
      const r = await fetch(`${http.url}${api.prefix}/health/${path}`);
      return { status: r.status, json: (await r.json()) as HealthBody };
    };
    const probe = (path: string, status: number, what: string) =>
      until(
        `${path} ${status} (${what})`,
        () => get(path),
        (r) => r.status === status,
        { intervalMs: 100, tries: 600 },
      );
    try {
      expect((await probe('ready', 200, 'start')).json.checks.workers.status).toBe('pass');
      expect((await probe('status', 200, 'start')).json.reasons).toEqual([]);

      // A stale claim loop: its claim waits behind a lock on tasker.steps.
      await admin.query('begin');
      await admin.query('lock table tasker.steps in access exclusive mode');
      const stale = await probe('ready', 503, 'stale loop');
      expect(stale.json.checks.database.status).toBe('pass');
      expect(stale.json.checks.workers.message).toMatch(
        /claim loop of this process has not turned for \d+ ms/,
      );
      expect((await get('live')).status).toBe(200);
      await admin.query('rollback');
      await probe('ready', 200, 'lock released');

      // The error rate: five attempts fail for good; they leave the 4 s window.
      for (let i = 0; i < 5; i++)
        await tasker.submit({ namespace: 'health', name: 'fails', version: '1.0.0', context: { i } });
      const failing = await probe('status', 503, 'error rate');
      expect(failing.json.reasons).toEqual([
        expect.stringMatching(/^5 of 5 step attempts failed in the last 4000 ms/),
      ]);
      expect(failing.json.attempts).toEqual({ ended: 5, failed: 5, errored: 5 });
      expect((await get('ready')).status).toBe(200);
      const recovered = await probe('status', 200, 'failures out of the window');
      // Back to 200 once too few attempts are left in the window to judge (the five failures
      // may have ended a little apart, so some can still be in it), or none failed.
      expect(recovered.json.reasons).toEqual([]);
      expect(recovered.json.attempts.ended).toBeLessThan(health.minAttempts);

      // The server stopped, and started again.
      await server().stop();
      const down = await probe('ready', 503, 'server stopped');
      expect(down.json.checks.database.status).toBe('fail');
      const status = await get('status');
      expect(status.status).toBe(503);
      expect(status.json.reasons[0]).toMatch(/^the database did not answer/);
      expect(status.json.database.answered).toBe(false);
      expect((await get('live')).status).toBe(200);
      await server().start();
      await probe('ready', 200, 'server back');
      const up = await probe('status', 200, 'server back');
      expect(up.json.database.pool).toMatchObject({ max: 4 });

      // Workers stopped: another engine keeps the registry live, then none does, then one does.
      const other = engine();
      others.push(other);
      await other.start();
      await tasker.stop();
      const stopped = await probe('ready', 503, "this process's workers stopped");
      expect(stopped.json.checks.workers.message).toBe('the workers of this process are stopped');
      expect((await get('status')).json.reasons).toEqual(['the workers of this process are stopped']);
      await other.stop();
      await until(
        'status: no live worker',
        () => get('status'),
        (r) => r.json.reasons.includes('no live worker in the registry: no step can run'),
        { intervalMs: 100, tries: 600 },
      );
      const again = engine();
      others.push(again);
      await again.start();
      await until(
        'status: a live worker again',
        () => get('status'),
        (r) =>
          r.status === 503 && !r.json.reasons.includes('no live worker in the registry: no step can run'),
        { intervalMs: 100, tries: 600 },
      );
      expect((await get('live')).status).toBe(200);
    } finally {
      await admin.end().catch(() => {});
      for (const o of others) await o.stop();
      await tasker.stop();
      await http.close();
      await store.close();
      await db.drop();
    }
  }, 120_000);
});
