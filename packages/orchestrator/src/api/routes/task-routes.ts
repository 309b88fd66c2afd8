/** Tasks: create (idempotent by `identity_key`), list, show (with the runtime analysis), update, cancel. */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isTaskerError, TaskerError } from '../../errors';
import { ApiError } from '../api-error';
import { analyseTask } from '../graph/runtime-analysis';
import type { RouteDeps } from '../registrar';
import { type ApiEnv, principalOf } from '../route-guard';
import { guardedProblems, taskIdParams } from '../schemas/common';
import {
  createTaskSchema,
  listTasksQuerySchema,
  showTaskQuerySchema,
  taskDetailsSchema,
  taskListSchema,
  updateTaskSchema,
} from '../schemas/tasks';
import { analysisToWire } from '../wire/handler-wire';
import {
  submitFromWire,
  taskChangesFromWire,
  taskDetailsToWire,
  taskFilterFromWire,
  taskToWire,
} from '../wire/task-wire';

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <S>(schema: S, required = true) => ({
  body: { required, content: { 'application/json': { schema } } },
});

/** The actor recorded with manual operations: the principal, when there is one. */
export function actorOf(c: Context<ApiEnv>): { actor?: string } {
  const principal = principalOf(c);
  return principal === null ? {} : { actor: principal.id };
}

export function registerTaskRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;

  const details = async (id: string) => {
    const task = await tasker.getTask(id);
    if (task === undefined) throw new TaskerError('TASK_NOT_FOUND', `No task with id "${id}"`);
    return task;
  };

  app.openapi(
    deps.route(
      'tasker.task:create',
      createRoute({
        method: 'post',
        path: '/tasks',
        tags: ['tasks'],
        summary: 'Submit a task',
        description:
          'Answers 201 with the new task, or 200 with the existing one when `identity_key` was seen before.',
        request: body(createTaskSchema),
        responses: {
          201: json(taskDetailsSchema, 'Created'),
          200: json(taskDetailsSchema, 'An existing task with the same identity_key'),
          ...guardedProblems(400, 413, 415, 422),
        },
      }),
    ),
    async (c) => {
      const request = submitFromWire(c.req.valid('json'), principalOf(c));
      const ref = { namespace: request.namespace, name: request.name, version: request.version };
      try {
        tasker.registry.resolve(ref);
      } catch (error) {
        if (!isTaskerError(error) || error.code !== 'DEFINITION_NOT_FOUND') throw error;
        throw new ApiError('UNKNOWN_TASK', error.message, {
          errors: [{ field: request.version === undefined ? 'name' : 'version', message: error.message }],
        });
      }
      const { taskId, created } = await tasker.submit(request);
      const wire = taskDetailsToWire(await details(taskId));
      c.header('Location', `${deps.prefix}/tasks/${taskId}`);
      return created ? c.json(wire, 201) : c.json(wire, 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.task:index',
      createRoute({
        method: 'get',
        path: '/tasks',
        tags: ['tasks'],
        summary: 'List tasks with filters, pagination and sorting',
        request: { query: listTasksQuerySchema },
        responses: { 200: json(taskListSchema, 'A page of tasks'), ...guardedProblems(400) },
      }),
    ),
    async (c) => {
      const query = c.req.valid('query');
      const filter = taskFilterFromWire(query);
      const page = await tasker.listTasks(filter);
      // A page past the end has no rows to carry the total: count on the first page instead.
      const total =
        page.tasks.length === 0 && query.offset > 0
          ? (await tasker.listTasks({ ...filter, offset: 0, limit: 1 })).total
          : page.total;
      return c.json(
        {
          tasks: page.tasks.map(taskToWire),
          pagination: {
            total,
            limit: query.limit,
            offset: query.offset,
            has_more: query.offset + page.tasks.length < total,
          },
        },
        200,
      );
    },
  );

  app.openapi(
    deps.route(
      'tasker.task:show',
      createRoute({
        method: 'get',
        path: '/tasks/{id}',
        tags: ['tasks'],
        summary: 'A task with its steps and transitions',
        description: '`include_dependencies=true` adds the runtime dependency analysis.',
        request: { params: taskIdParams, query: showTaskQuerySchema },
        responses: { 200: json(taskDetailsSchema, 'The task'), ...guardedProblems(400, 404) },
      }),
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      const task = await details(id);
      const wire = taskDetailsToWire(task);
      if (c.req.valid('query').include_dependencies === 'true') {
        return c.json({ ...wire, dependency_analysis: analysisToWire(analyseTask(task.steps)) }, 200);
      }
      return c.json(wire, 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.task:update',
      createRoute({
        method: 'patch',
        path: '/tasks/{id}',
        tags: ['tasks'],
        summary: "Update a task's reason and tags",
        request: { params: taskIdParams, ...body(updateTaskSchema) },
        responses: {
          200: json(taskDetailsSchema, 'The updated task'),
          ...guardedProblems(400, 404, 413, 415),
        },
      }),
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      await tasker.updateTask(id, taskChangesFromWire(c.req.valid('json')));
      return c.json(taskDetailsToWire(await details(id)), 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.task:cancel',
      createRoute({
        method: 'delete',
        path: '/tasks/{id}',
        tags: ['tasks'],
        summary: 'Cancel a task and its unfinished steps',
        request: { params: taskIdParams },
        responses: { 200: json(taskDetailsSchema, 'The cancelled task'), ...guardedProblems(400, 404, 409) },
      }),
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      await tasker.cancel(id, { reason: 'cancelled through the API', ...actorOf(c) });
      return c.json(taskDetailsToWire(await details(id)), 200);
    },
  );
}
