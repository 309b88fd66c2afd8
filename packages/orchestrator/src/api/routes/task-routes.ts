/** Tasks: create (idempotent by `identity_key`), list, show (with the runtime analysis), update, cancel. */
import { createRoute, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isTaskerError, TaskerError } from '../../errors';
import type { TaskDetails } from '../../store/records';
import { assertStorableText } from '../../store/storable';
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
import { slicedJsonResponse } from '../sliced-json';
import { analysisToWire } from '../wire/handler-wire';
import {
  submitFromWire,
  taskChangesFromWire,
  taskDetailsParts,
  taskFilterFromWire,
  taskListItemJson,
} from '../wire/task-wire';

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <S>(schema: S, required = true) => ({
  body: { required, content: { 'application/json': { schema } } },
});

/** Whether this request may see `task`: always, unless owner scoping limits it to its own. */
export async function visible(deps: RouteDeps, c: Context<ApiEnv>, task: { owner: string | undefined }) {
  const owner = await deps.ownerScope(c);
  return owner === undefined || task.owner === owner;
}

/** The actor recorded with manual operations: the principal, when there is one. */
export function actorOf(c: Context<ApiEnv>): { actor?: string } {
  const principal = principalOf(c);
  return principal === null ? {} : { actor: principal.id };
}

export function registerTaskRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;

  /** The task, when there is one that this request may see (with owner scoping: its own). */
  const details = async (c: Context<ApiEnv>, id: string) => {
    const task = await tasker.getTask(id, { maxBytes: deps.maxPageBytes });
    if (task === undefined || !(await visible(deps, c, task))) {
      throw new TaskerError('TASK_NOT_FOUND', `No task with id "${id}"`);
    }
    return task;
  };
  /**
   * Before acting on a task: with owner scoping, another owner's task is not found. Without it
   * nothing is read here (the action itself answers for a task that does not exist).
   */
  const mayAct = async (c: Context<ApiEnv>, id: string) => {
    if ((await deps.ownerScope(c)) === undefined) return;
    // Its owner is all that is needed: a budget of one byte leaves every value out.
    const task = await tasker.getTask(id, { maxBytes: 1 });
    if (task === undefined || !(await visible(deps, c, task))) {
      throw new TaskerError('TASK_NOT_FOUND', `No task with id "${id}"`);
    }
  };
  type Details = z.infer<typeof taskDetailsSchema>;
  const detailsResponse = <S extends 200 | 201>(
    task: TaskDetails,
    status: S,
    options: { extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) => slicedJsonResponse<Details, S>(status, taskDetailsParts(task, options.extra), options.headers);

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
          ...guardedProblems(400, 409, 413, 415, 422),
        },
      }),
    ),
    async (c) => {
      const request = submitFromWire(c.req.valid('json'), principalOf(c));
      const ref = { namespace: request.namespace, name: request.name, version: request.version };
      // Text no task can be named by is refused as such (400 naming it), not as an unknown task.
      for (const [field, text] of Object.entries(ref)) assertStorableText(field, text);
      try {
        tasker.registry.resolve(ref);
      } catch (error) {
        if (!isTaskerError(error) || error.code !== 'DEFINITION_NOT_FOUND') throw error;
        throw new ApiError('UNKNOWN_TASK', error.message, {
          errors: [{ field: request.version === undefined ? 'name' : 'version', message: error.message }],
        });
      }
      const { taskId, created } = await tasker.submit(request);
      const task = await tasker.getTask(taskId, { maxBytes: deps.maxPageBytes });
      if (task === undefined) throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
      if (!created && !(await visible(deps, c, task))) {
        const message = 'identity_key is taken by a task of another owner';
        throw new ApiError('IDENTITY_KEY_TAKEN', message, { errors: [{ field: 'identity_key', message }] });
      }
      const headers = { location: `${deps.prefix}/tasks/${taskId}` };
      return created ? detailsResponse(task, 201, { headers }) : detailsResponse(task, 200, { headers });
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
        description:
          'Summaries, without context and annotations unless `include=context`. A page holds at most `limit` tasks and ends early when the byte budget (`maxPageBytes`, 4 MiB by default) is spent; `pagination.next_cursor` then leads on. `offset` still works, but not with `cursor`.',
        request: { query: listTasksQuerySchema },
        responses: { 200: json(taskListSchema, 'A page of tasks'), ...guardedProblems(400) },
      }),
    ),
    async (c) => {
      const query = c.req.valid('query');
      const owner = await deps.ownerScope(c);
      const page = await tasker.listTasks({
        ...taskFilterFromWire(query),
        maxBytes: deps.maxPageBytes,
        ...(owner === undefined ? {} : { owner }),
      });
      const pagination = {
        total: page.total,
        limit: query.limit,
        offset: query.offset,
        has_more: page.nextCursor !== undefined,
        next_cursor: page.nextCursor ?? null,
      };
      return slicedJsonResponse<z.infer<typeof taskListSchema>, 200>(200, [
        '{"tasks":[',
        { items: page.tasks.map(taskListItemJson) },
        `],"pagination":${JSON.stringify(pagination)}}`,
      ]);
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
      const task = await details(c, id);
      if (c.req.valid('query').include_dependencies === 'true') {
        return detailsResponse(task, 200, {
          extra: {
            dependency_analysis: analysisToWire(
              analyseTask(task.steps, await (await deps.tasker.store()).audit.stepSpans(task.id)),
            ),
          },
        });
      }
      return detailsResponse(task, 200);
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
      await mayAct(c, id);
      await tasker.updateTask(id, taskChangesFromWire(c.req.valid('json')));
      return detailsResponse(await details(c, id), 200);
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
      await mayAct(c, id);
      await tasker.cancel(id, { reason: 'cancelled through the API', ...actorOf(c) });
      return detailsResponse(await details(c, id), 200);
    },
  );
}
