/**
 * `GET /retention`: the retention policy this process was configured with (`retention`: keeps by
 * state and namespace, archive, interval, batch sizes, and the rules they resolve to) and the
 * newest runs of the sweep recorded in the store (by any process, dry runs included).
 */
import { createRoute } from '@hono/zod-openapi';
import type { RouteDeps } from '../registrar';
import { guardedProblems } from '../schemas/common';
import { retentionQuerySchema, retentionSchema } from '../schemas/retention';
import { retentionToWire } from '../wire/retention-wire';

export function registerRetentionRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;

  app.openapi(
    deps.route(
      'tasker.retention:index',
      createRoute({
        method: 'get',
        path: '/retention',
        tags: ['retention'],
        summary: 'The retention policy and the newest runs of the retention sweep',
        description:
          'The policy is the configuration of the process serving this API (each process sweeps with ' +
          'its own); the runs are those recorded in the store by every process, newest first. ' +
          '`tasker retention run` and `Tasker.runRetention()` run a sweep at once.',
        request: { query: retentionQuerySchema },
        responses: {
          200: {
            description: 'The policy and the runs',
            content: { 'application/json': { schema: retentionSchema } },
          },
          ...guardedProblems(400),
        },
      }),
    ),
    async (c) => {
      const { limit } = c.req.valid('query');
      const runs = await tasker.retentionRuns(limit);
      return c.json(retentionToWire(tasker.config.retention, runs), 200);
    },
  );
}
