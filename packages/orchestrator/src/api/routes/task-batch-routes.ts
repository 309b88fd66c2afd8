/**
 * `POST /tasks/batch`: up to 1,000 tasks in one request, each the body of `POST /tasks`, written
 * by `tasker.submitMany` in one statement (one transaction). Every task is checked before any is
 * written: one bad field anywhere refuses the whole request, naming it as `tasks[3].context.x`,
 * and nothing is created. The answer lists, in request order, each task's id and whether it was
 * created (an `identity_key` seen before answers the existing task, as `POST /tasks` does).
 */
import { createRoute, type z } from '@hono/zod-openapi';
import type { SubmitRequest } from '../../engine/submit';
import { isTaskerError, TaskerError } from '../../errors';
import { assertStorableText, pathOf } from '../../store/storable';
import { ApiError, type FieldError } from '../api-error';
import type { fieldErrorsFromZod } from '../problem';
import type { RouteDeps } from '../registrar';
import { principalOf } from '../route-guard';
import { guardedProblems } from '../schemas/common';
import {
  createTaskBatchSchema,
  MAX_BATCH_TASKS,
  type taskBatchItemSchema,
  taskBatchResultSchema,
} from '../schemas/task-batch';
import { submitFromWire } from '../wire/task-wire';
import { visible } from './task-routes';

type BatchItem = z.infer<typeof taskBatchItemSchema>;

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * The body's field errors, each named as the store names a place in JSON (`tasks[3].tags[1]`,
 * `tasks[0]["odd key"]`), so that a field is named alike whether the validator or the store
 * refused it.
 */
function batchFieldErrors(issues: Parameters<typeof fieldErrorsFromZod>[0]): FieldError[] {
  const out: FieldError[] = [];
  const name = (path: readonly PropertyKey[]) => {
    const segments = path.map((s) => (typeof s === 'number' ? s : String(s)));
    return segments.length === 0 ? '(root)' : `${String(segments[0])}${pathOf(segments.slice(1)).slice(1)}`;
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ field: name([...issue.path, key]), message: 'unknown field' });
    } else out.push({ field: name(issue.path), message: issue.message });
  }
  return out;
}

/** Text no task can be named by is a 400 naming it; a task no definition matches is a 422. */
function checkReference(deps: RouteDeps, request: SubmitRequest, at: string): void {
  const ref = { namespace: request.namespace, name: request.name, version: request.version };
  for (const [field, text] of Object.entries(ref)) assertStorableText(`${at}.${field}`, text);
  try {
    deps.tasker.registry.resolve(ref);
  } catch (error) {
    if (!isTaskerError(error) || error.code !== 'DEFINITION_NOT_FOUND') throw error;
    const field = `${at}.${request.version === undefined ? 'name' : 'version'}`;
    throw new ApiError('UNKNOWN_TASK', `${at}: ${error.message}`, {
      errors: [{ field, message: error.message }],
    });
  }
}

export function registerTaskBatchRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;

  app.openapi(
    deps.route(
      'tasker.task:create_many',
      createRoute({
        method: 'post',
        path: '/tasks/batch',
        tags: ['tasks'],
        summary: 'Submit many tasks at once',
        description:
          `Up to ${MAX_BATCH_TASKS} tasks, each the body of \`POST /tasks\`, created in one transaction. ` +
          'Every task is checked first: a bad field anywhere refuses the request (400 or 422, naming it as ' +
          '`tasks[3].context.order_id`) and nothing is created. Answers each task in request order: 201 when ' +
          'at least one was created, 200 when every one matched an existing task by `identity_key`.',
        request: {
          body: { required: true, content: { 'application/json': { schema: createTaskBatchSchema } } },
        },
        responses: {
          201: json(taskBatchResultSchema, 'At least one task was created'),
          200: json(taskBatchResultSchema, 'Every task matched an existing task by identity_key'),
          ...guardedProblems(400, 413, 415, 422),
        },
      }),
    ),
    async (c) => {
      const principal = principalOf(c);
      const requests = c.req.valid('json').tasks.map((item, i) => {
        const request = submitFromWire(item, principal);
        checkReference(deps, request, `tasks[${i}]`);
        return request;
      });
      const results = await tasker.submitMany(requests, { batchSize: MAX_BATCH_TASKS });
      const owner = await deps.ownerScope(c);
      const items: BatchItem[] = [];
      for (const [i, r] of results.entries()) {
        if (r.created || owner === undefined) {
          items.push({ task_id: r.taskId, created: r.created });
          continue;
        }
        // As POST /tasks: another owner's task is not shown, not even its id.
        const task = await tasker.getTask(r.taskId, { maxBytes: 1 });
        if (task === undefined) throw new TaskerError('TASK_NOT_FOUND', `No task with id "${r.taskId}"`);
        if (await visible(deps, c, task)) items.push({ task_id: r.taskId, created: false });
        else
          items.push({
            task_id: null,
            created: false,
            error: {
              code: 'IDENTITY_KEY_TAKEN',
              field: `tasks[${i}].identity_key`,
              message: 'identity_key is taken by a task of another owner',
            },
          });
      }
      const body = { tasks: items };
      return results.some((r) => r.created) ? c.json(body, 201) : c.json(body, 200);
    },
    (result): undefined => {
      if (result.success) return undefined;
      const errors = batchFieldErrors(result.error.issues);
      throw new ApiError(
        'VALIDATION_FAILED',
        `Invalid request body: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
        { errors },
      );
    },
  );
}
