/** Analytics, computed in SQL: performance over 1 h / 4 h / 24 h, and bottlenecks. */
import { createRoute } from '@hono/zod-openapi';
import type { RouteDeps } from '../registrar';
import { bottlenecksQuerySchema, bottlenecksSchema, performanceSchema } from '../schemas/analytics';
import { guardedProblems } from '../schemas/common';
import { bottlenecksToWire, performanceToWire } from '../wire/insights-wire';

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const HOUR = 3_600_000;
const WINDOWS = [
  { label: '1h', spanMs: HOUR },
  { label: '4h', spanMs: 4 * HOUR },
  { label: '24h', spanMs: 24 * HOUR },
] as const;

export function registerAnalyticsRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;

  app.openapi(
    deps.route(
      'tasker.analytics:index',
      createRoute({
        method: 'get',
        path: '/analytics/performance',
        tags: ['analytics'],
        summary: 'Throughput, completion rates and durations over the last hour, 4 hours and 24 hours',
        responses: { 200: json(performanceSchema, 'Performance'), ...guardedProblems() },
      }),
    ),
    async (c) => {
      const now = deps.now();
      const windows = await (await tasker.store()).insights.performance(now, WINDOWS);
      return c.json(performanceToWire(windows, now), 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.analytics:index',
      createRoute({
        method: 'get',
        path: '/analytics/bottlenecks',
        tags: ['analytics'],
        summary: 'The slowest tasks and steps and the most frequent errors',
        request: { query: bottlenecksQuerySchema },
        responses: { 200: json(bottlenecksSchema, 'Bottlenecks'), ...guardedProblems(400) },
      }),
    ),
    async (c) => {
      const q = c.req.valid('query');
      const now = deps.now();
      const since = now - q.period_hours * HOUR;
      const filters = {
        ...(q.namespace === undefined ? {} : { namespace: q.namespace }),
        ...(q.name === undefined ? {} : { name: q.name }),
        ...(q.version === undefined ? {} : { version: q.version }),
      };
      const found = await (await tasker.store()).insights.bottlenecks(
        { ...filters, since, limit: q.limit },
        now,
      );
      return c.json(bottlenecksToWire(found, filters, since, now), 200);
    },
  );
}
