/**
 * `/health/live` (the process answers), `/health/ready` (the store answers within a timeout and
 * its migrations are applied: 200, otherwise 503 with the failing check) and `/health/status`
 * (counts, retries and healthy/unhealthy by the original's 50 % error-rate threshold).
 */
import { createRoute } from '@hono/zod-openapi';
import type { RouteDeps } from '../registrar';
import { guardedProblems } from '../schemas/common';
import { liveSchema, readySchema, statusSchema } from '../schemas/health';
import { healthStatusToWire } from '../wire/insights-wire';
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

  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/health/live',
        tags: ['health'],
        summary: 'Liveness: the process answers',
        responses: { 200: json(liveSchema, 'Alive') },
      }),
    ),
    (c) => c.json({ status: 'alive' as const, checked_at: iso(deps.now()) }, 200),
  );

  app.openapi(
    deps.route(
      null,
      createRoute({
        method: 'get',
        path: '/health/ready',
        tags: ['health'],
        summary: 'Readiness: the store answers and is migrated',
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
      const ready = database.status === 'pass' && migrations.status === 'pass';
      const body = {
        status: ready ? ('ready' as const) : ('not_ready' as const),
        checks: { database, migrations },
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
        summary: 'Counts of tasks and steps by state, retries, and healthy or unhealthy',
        description: 'Unhealthy when more than 50 % of the tasks are in error (the original threshold).',
        responses: { 200: json(statusSchema, 'Status'), ...guardedProblems() },
      }),
    ),
    async (c) => {
      const counts = await (await tasker.store()).insights.healthCounts();
      const stats = tasker.stats();
      return c.json(
        healthStatusToWire(
          counts,
          { id: tasker.workerId, state: stats.state, inFlight: stats.inFlight, completed: stats.completed },
          deps.now(),
          await tasker.workers(),
        ),
        200,
      );
    },
  );
}
