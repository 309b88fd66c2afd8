/**
 * `GET /events/stream`: the live event feed (issue #15) as Server-Sent Events, guarded by
 * `tasker.events:index`. See `../event-stream.ts` for what it sends and how it ends.
 *
 * Browsers read it with `fetch()` and a bearer token in the `Authorization` header (an
 * `EventSource` cannot send one; a token never goes in a URL), and resume with `Last-Event-ID`.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { parseFeedPosition } from '../../engine/audit-tail';
import { ApiError } from '../api-error';
import type { EventStreamOptions, EventStreams } from '../event-stream';
import type { RouteDeps } from '../registrar';
import { guardedProblems, idSchema, problems } from '../schemas/common';

const PREFIX = /^[A-Za-z0-9_.:-]{1,100}$/;

const streamQuerySchema = z.object({
  task_id: idSchema('task').optional().openapi({ description: "Only this task's events" }),
  events: z.string().optional().openapi({
    description:
      'Only events whose name starts with one of these comma-separated prefixes (at most 20), e.g. `task.,step.completed`',
    example: 'task.,step.completed',
  }),
});

export function registerEventRoutes(
  deps: RouteDeps,
  streams: EventStreams,
  options: Required<EventStreamOptions>,
  onError: (error: unknown, request: Request) => void,
): void {
  const { app, tasker } = deps;

  app.openapi(
    deps.route(
      'tasker.events:index',
      createRoute({
        method: 'get',
        path: '/events/stream',
        tags: ['events'],
        summary: 'The live event feed: every lifecycle event of every process, as Server-Sent Events',
        description:
          'Read from the transition audit, so it carries the events of transitions committed by any ' +
          'process. Each message is `id: <transition id>.<n>` (the event id every process gives it), ' +
          '`event: <name>` and `data: {"id","name","at","task_id","payload"}` (the catalog payload). ' +
          'Without `Last-Event-ID` it starts after the newest transition; with it, after that event, ' +
          'with no gap and no repeat. A comment line is sent when idle (heartbeat). ' +
          '`workflow.viable_steps_discovered` and `step.handle` are not transitions and are not in it. ' +
          'Send the token in `Authorization` (read the stream with fetch), never in the URL.',
        request: {
          query: streamQuerySchema,
          headers: z.object({
            'last-event-id': z.string().optional().openapi({
              description: 'The id of the last event received: `<transition id>.<n>`',
              example: '4211.2',
            }),
          }),
        },
        responses: {
          200: {
            description: 'The stream (text/event-stream), open until the client or the server closes it',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...guardedProblems(400),
          503: problems[503],
        },
      }),
    ),
    async (c) => {
      const query = c.req.valid('query');
      const lastEventId = c.req.header('last-event-id');
      const after =
        lastEventId === undefined || lastEventId === '' ? undefined : parseFeedPosition(lastEventId);
      if (lastEventId !== undefined && lastEventId !== '' && after === undefined) {
        const message = `expected an event id "<transition id>.<n>", such as "4211.2", received ${JSON.stringify(lastEventId.slice(0, 64))}`;
        throw new ApiError('VALIDATION_FAILED', `Invalid request header: Last-Event-ID: ${message}`, {
          errors: [{ field: 'Last-Event-ID', message }],
        });
      }
      const prefixes = (query.events ?? '').split(',').filter((p) => p !== '');
      if (prefixes.length > 20 || prefixes.some((p) => !PREFIX.test(p))) {
        const message =
          'expected at most 20 comma-separated event name prefixes of letters, digits and . _ : -';
        throw new ApiError('VALIDATION_FAILED', `Invalid request query: events: ${message}`, {
          errors: [{ field: 'events', message }],
        });
      }
      if (streams.closed) throw new ApiError('NOT_READY', 'The API is closing');
      const audit = (await tasker.store()).audit;
      const body = streams.open(
        audit,
        { after, taskId: query.task_id, prefixes, owner: await deps.ownerScope(c) },
        options,
        (error) => onError(error, c.req.raw),
      );
      return new Response(body, {
        status: 200,
        headers: {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          'X-Accel-Buffering': 'no',
          'X-Content-Type-Options': 'nosniff',
          // Not reused once the stream ends, so that a closing server need not wait for it to idle out.
          Connection: 'close',
        },
      });
    },
  );
}
