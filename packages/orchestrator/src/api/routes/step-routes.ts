/** Workflow steps of a task: list, show, update, cancel, retry and resolve by hand. */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { TaskerError } from '../../errors';
import type { StepRecord } from '../../store/records';
import type { RouteDeps } from '../registrar';
import type { ApiEnv } from '../route-guard';
import { guardedProblems, stepParams, taskIdParams } from '../schemas/common';
import {
  stepActionSchema,
  stepListSchema,
  stepResolveSchema,
  stepSchema,
  stepUpdateSchema,
} from '../schemas/steps';
import { stepToWire } from '../wire/task-wire';
import { actorOf, visible } from './task-routes';

const json = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <S>(schema: S, required: boolean) => ({
  body: { required, content: { 'application/json': { schema } } },
});

export function registerStepRoutes(deps: RouteDeps): void {
  const { app, tasker } = deps;

  const steps = async (c: Context<ApiEnv>, taskId: string): Promise<readonly StepRecord[]> => {
    // With the budget: a step left out of it comes with null inputs, results and error.
    const task = await tasker.getTask(taskId, { maxBytes: deps.maxPageBytes });
    if (task === undefined || !(await visible(deps, c, task))) {
      throw new TaskerError('TASK_NOT_FOUND', `No task with id "${taskId}"`);
    }
    return task.steps;
  };
  const step = async (c: Context<ApiEnv>, taskId: string, stepId: string): Promise<StepRecord> => {
    const found = (await steps(c, taskId)).find((s) => s.id === stepId.toLowerCase());
    if (found === undefined)
      throw new TaskerError('STEP_NOT_FOUND', `Task "${taskId}" has no step with id "${stepId}"`);
    return found;
  };
  const path = '/tasks/{id}/workflow_steps';

  app.openapi(
    deps.route(
      'tasker.workflow_step:index',
      createRoute({
        method: 'get',
        path,
        tags: ['workflow steps'],
        summary: "A task's steps, parents first",
        request: { params: taskIdParams },
        responses: { 200: json(stepListSchema, 'Steps'), ...guardedProblems(400, 404) },
      }),
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      return c.json({ workflow_steps: (await steps(c, id)).map((s) => stepToWire(id, s)) }, 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.workflow_step:show',
      createRoute({
        method: 'get',
        path: `${path}/{stepId}`,
        tags: ['workflow steps'],
        summary: 'One step',
        request: { params: stepParams },
        responses: { 200: json(stepSchema, 'The step'), ...guardedProblems(400, 404) },
      }),
    ),
    async (c) => {
      const { id, stepId } = c.req.valid('param');
      return c.json(stepToWire(id, await step(c, id, stepId)), 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.workflow_step:update',
      createRoute({
        method: 'patch',
        path: `${path}/{stepId}`,
        tags: ['workflow steps'],
        summary: "Change a step's retry limit or inputs",
        request: { params: stepParams, ...body(stepUpdateSchema, true) },
        responses: { 200: json(stepSchema, 'The updated step'), ...guardedProblems(400, 404, 413, 415, 422) },
      }),
    ),
    async (c) => {
      const { id, stepId } = c.req.valid('param');
      const changes = c.req.valid('json');
      await step(c, id, stepId);
      await tasker.updateStep(stepId, {
        ...(changes.retry_limit === undefined ? {} : { retryLimit: changes.retry_limit }),
        ...(changes.inputs === undefined ? {} : { inputs: changes.inputs }),
      });
      return c.json(stepToWire(id, await step(c, id, stepId)), 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.workflow_step:cancel',
      createRoute({
        method: 'delete',
        path: `${path}/{stepId}`,
        tags: ['workflow steps'],
        summary: 'Cancel a step and its descendants (the task becomes cancelled)',
        request: { params: stepParams },
        responses: { 200: json(stepSchema, 'The cancelled step'), ...guardedProblems(400, 404, 409) },
      }),
    ),
    async (c) => {
      const { id, stepId } = c.req.valid('param');
      await step(c, id, stepId);
      await tasker.cancelStep(stepId, { reason: 'cancelled through the API', ...actorOf(c) });
      return c.json(stepToWire(id, await step(c, id, stepId)), 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.workflow_step:retry',
      createRoute({
        method: 'post',
        path: `${path}/{stepId}/retry`,
        tags: ['workflow steps'],
        summary: 'Retry a step in error (its task resumes)',
        request: { params: stepParams, ...body(stepActionSchema, false) },
        responses: {
          200: json(stepSchema, 'The step, pending again'),
          ...guardedProblems(400, 404, 409, 413, 415),
        },
      }),
    ),
    async (c) => {
      const { id, stepId } = c.req.valid('param');
      const { reason } = c.req.valid('json');
      await step(c, id, stepId);
      await tasker.retryStep(stepId, { reason: reason ?? 'retried through the API', ...actorOf(c) });
      return c.json(stepToWire(id, await step(c, id, stepId)), 200);
    },
  );

  app.openapi(
    deps.route(
      'tasker.workflow_step:update',
      createRoute({
        method: 'post',
        path: `${path}/{stepId}/resolve`,
        tags: ['workflow steps'],
        summary: 'Resolve a step by hand, optionally with a result for its children',
        request: { params: stepParams, ...body(stepResolveSchema, false) },
        responses: {
          200: json(stepSchema, 'The resolved step'),
          ...guardedProblems(400, 404, 409, 413, 415),
        },
      }),
    ),
    async (c) => {
      const { id, stepId } = c.req.valid('param');
      const { reason, result } = c.req.valid('json');
      await step(c, id, stepId);
      await tasker.resolveStepManually(stepId, {
        reason: reason ?? 'resolved through the API',
        ...actorOf(c),
        ...(result === undefined ? {} : { result }),
      });
      return c.json(stepToWire(id, await step(c, id, stepId)), 200);
    },
  );
}
