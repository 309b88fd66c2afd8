/**
 * Schedules (issue #14): list, add, show, pause, resume and remove, each guarded by its own
 * `tasker.schedule:<action>` permission. A schedule added here is `source: api`: code never
 * overwrites it. Slots fire in the engines that run workers, whichever process serves this API.
 */
import { createRoute } from '@hono/zod-openapi';
import { isTaskerError, TaskerError } from '../../errors';
import { assertStorableText } from '../../store/storable';
import { ApiError } from '../api-error';
import type { RouteDeps } from '../registrar';
import { guardedProblems } from '../schemas/common';
import {
  createScheduleSchema,
  scheduleListSchema,
  scheduleNameParams,
  scheduleSchema,
} from '../schemas/schedules';
import { scheduleSpecFromWire, scheduleToWire } from '../wire/schedule-wire';

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export function registerScheduleRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;

  app.openapi(
    deps.route(
      'tasker.schedule:index',
      createRoute({
        method: 'get',
        path: '/schedules',
        tags: ['schedules'],
        summary: 'Every schedule, by name',
        responses: { 200: json(scheduleListSchema, 'The schedules'), ...guardedProblems() },
      }),
    ),
    async (c) => c.json({ schedules: (await tasker.schedules.list()).map(scheduleToWire) }, 200),
  );

  app.openapi(
    deps.route(
      'tasker.schedule:create',
      createRoute({
        method: 'post',
        path: '/schedules',
        tags: ['schedules'],
        summary: 'Add a schedule',
        description:
          'Its first slot is the first after now. 409 when the name is taken (by a schedule added here or defined in code); ' +
          '422 for a task this process does not know or a context its schema refuses.',
        request: {
          body: { required: true, content: { 'application/json': { schema: createScheduleSchema } } },
        },
        responses: { 201: json(scheduleSchema, 'Added'), ...guardedProblems(400, 409, 413, 415, 422) },
      }),
    ),
    async (c) => {
      const spec = scheduleSpecFromWire(c.req.valid('json'));
      // Text no task can be named by is refused as such (400 naming it), not as an unknown task.
      assertStorableText('namespace', spec.namespace);
      assertStorableText('task_name', spec.taskName);
      assertStorableText('version', spec.version);
      try {
        const added = await tasker.schedules.add(spec);
        return c.json(scheduleToWire(added), 201, {
          location: `${deps.prefix}/schedules/${encodeURIComponent(added.name)}`,
        });
      } catch (error) {
        if (isTaskerError(error) && error.code === 'DEFINITION_NOT_FOUND') {
          throw new ApiError('UNKNOWN_TASK', error.message, {
            errors: [{ field: spec.version === undefined ? 'task_name' : 'version', message: error.message }],
          });
        }
        throw error;
      }
    },
  );

  app.openapi(
    deps.route(
      'tasker.schedule:show',
      createRoute({
        method: 'get',
        path: '/schedules/{name}',
        tags: ['schedules'],
        summary: 'A schedule with its firing record',
        request: { params: scheduleNameParams },
        responses: { 200: json(scheduleSchema, 'The schedule'), ...guardedProblems(400, 404) },
      }),
    ),
    async (c) => {
      const { name } = c.req.valid('param');
      const found = await tasker.schedules.get(name);
      if (found === undefined) throw new TaskerError('SCHEDULE_NOT_FOUND', `No schedule named "${name}"`);
      return c.json(scheduleToWire(found), 200);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(
      deps.route(
        `tasker.schedule:${action}`,
        createRoute({
          method: 'post',
          path: `/schedules/{name}/${action}`,
          tags: ['schedules'],
          summary:
            action === 'pause'
              ? 'Pause a schedule: it fires nothing until resumed'
              : 'Resume a schedule: slots that passed while it was paused are missed ones, and its catch-up policy decides',
          request: { params: scheduleNameParams },
          responses: { 200: json(scheduleSchema, 'The schedule'), ...guardedProblems(400, 404) },
        }),
      ),
      async (c) => {
        const { name } = c.req.valid('param');
        const s =
          action === 'pause' ? await tasker.schedules.pause(name) : await tasker.schedules.resume(name);
        return c.json(scheduleToWire(s), 200);
      },
    );
  }

  app.openapi(
    deps.route(
      'tasker.schedule:destroy',
      createRoute({
        method: 'delete',
        path: '/schedules/{name}',
        tags: ['schedules'],
        summary: 'Remove a schedule (the tasks it made stay)',
        description:
          'A schedule defined in code is written again by the next engine that starts with that definition.',
        request: { params: scheduleNameParams },
        responses: { 200: json(scheduleSchema, 'The removed schedule'), ...guardedProblems(400, 404) },
      }),
    ),
    async (c) => {
      const { name } = c.req.valid('param');
      return c.json(scheduleToWire(await tasker.schedules.remove(name)), 200);
    },
  );
}
