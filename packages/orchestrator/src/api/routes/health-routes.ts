/**
 * `/health/live` (the process answers; with its event-loop delay), `/health/ready` (the store
 * answers within a timeout, its migrations are applied, and this process's workers, if it runs
 * any, run with a fresh claim loop: 200, otherwise 503 with the failing checks) and
 * `/health/status` (recent counts, error rate, queue lag, pool use and workers; 503 with its
 * reasons when unhealthy; cached, see `../health-status.ts`).
 */
import { createRoute } from '@hono/zod-openapi';
import { computeStatus, loopDelay, StatusCache, workerVerdict } from '../health-status';
import type { RouteDeps } from '../registrar';
import { guardedProblems } from '../schemas/common';
import { liveSchema, readySchema, statusSchema } from '../schemas/health';
import { iso } from '../wire/time';

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

interface Check {
  status: 'pass' | 'fail';
  duration_ms: number;
  message?: string;
}

/** Runs `probe` with a deadline; a timeout or an error fails the check (its message is safe: ours). */
async function check(probe: () => Promise<string | undefined>, timeoutMs: number): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const problem = await Promise.race([
      probe(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      }),
    ]);
    const duration_ms = Math.round(performance.now() - started);
    return problem === undefined
      ? { status: 'pass', duration_ms }
      : { status: 'fail', duration_ms, message: problem };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      status: 'fail',
      duration_ms: Math.round(performance.now() - started),
      message: `the database did not answer${typeof code === 'string' ? ` (${code})` : ''}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;
  const settings = tasker.config.health;
  const delay = loopDelay();
  const status = new StatusCache(settings.statusCacheMs, () =>
    computeStatus(tasker, settings, deps.now(), deps.readyTimeoutMs),
  );

  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/health/live',
        tags: ['health'],
        summary: 'Liveness: the process answers',
        description: "Always 200 while the process answers; reports the event loop's recent delay.",
        responses: { 200: json(liveSchema, 'Alive') },
      }),
    ),
    (c) =>
      c.json(
        { status: 'alive' as const, checked_at: iso(deps.now()), event_loop_delay_ms: delay.current() },
        200,
      ),
  );

  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/health/ready',
        tags: ['health'],
        summary: "Readiness: the store answers and is migrated, and this process's workers run",
        responses: {
          200: json(readySchema, 'Ready'),
          503: json(readySchema, 'Not ready, with the failing checks'),
        },
      }),
    ),
    async (c) => {
      const timeout = deps.readyTimeoutMs;
      const database = await check(async () => {
        const store = await tasker.store();
        await store.insights.ping();
        return undefined;
      }, timeout);
      const migrations =
        database.status === 'fail'
          ? { status: 'fail' as const, duration_ms: 0, message: 'not checked: the database did not answer' }
          : await check(async () => {
              const pending = await (await tasker.store()).insights.pendingMigrations();
              return pending.length === 0 ? undefined : `migrations not applied: ${pending.join(', ')}`;
            }, timeout);
      const own = workerVerdict(tasker.stats(), settings.staleAfterMs, Date.now());
      const workers =
        own === null
          ? undefined
          : own === undefined
            ? { status: 'pass' as const, duration_ms: 0 }
            : { status: 'fail' as const, duration_ms: 0, message: own };
      const ready = database.status === 'pass' && migrations.status === 'pass' && workers?.status !== 'fail';
      const body = {
        status: ready ? ('ready' as const) : ('not_ready' as const),
        checks: { database, migrations, ...(workers === undefined ? {} : { workers }) },
        checked_at: iso(deps.now()),
      };
      return ready ? c.json(body, 200) : c.json(body, 503);
    },
  );

  app.openapi(
    deps.route(
      deps.statusRequiresAuth ? 'tasker.health_status:index' : null,
      createRoute({
        method: 'get',
        path: '/health/status',
        tags: ['health'],
        summary: 'Recent counts, error rate, queue lag, pool use and workers; 503 when unhealthy',
        description:
          'Computed from time-windowed index reads (health.windowMs) and cached for health.statusCacheMs. ' +
          'Unhealthy (503, with `reasons`) when the database does not answer, when more than ' +
          'health.maxErrorRate of the step attempts that ended in the window failed (once health.minAttempts ' +
          "ended), when no worker is live, when this process's workers are stopped or stale, or when a step " +
          'waited longer than health.maxQueueLagMs to be claimed.',
        responses: {
          ...guardedProblems(),
          200: json(statusSchema, 'Healthy'),
          503: json(statusSchema, 'Unhealthy, with the reasons'),
        },
      }),
    ),
    async (c) => {
      const answer = await status.get();
      return answer.healthy ? c.json(answer.body, 200) : c.json(answer.body, 503);
    },
  );
}
