/**
 * The OpenAPI document matches the validators: for every route with a request body, each field
 * the document marks optional can be left out of an otherwise valid body without a 400. The
 * task definition used (`ops/audit`) has no context schema, so `{}` and an absent context are
 * both valid for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore, type TaskStore } from '../src/index';
import { type ApiHarness, startApiHarness } from './support/api-harness';

interface BodySchema {
  readonly properties?: Record<string, unknown>;
  readonly required?: readonly string[];
}

describe('OpenAPI request bodies: every optional field is optional', () => {
  let store: TaskStore;
  let h: ApiHarness;
  let seq = 0;

  beforeAll(async () => {
    store = await createPgliteStore();
    h = await startApiHarness(store);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await store?.close();
  });

  /** A task whose first step is in `error` (ops/audit's `verify` fails for good), for the step routes. */
  async function erroredStep(): Promise<{ taskId: string; stepId: string }> {
    const created = await h.call('POST', '/tasks', {
      body: { namespace: 'ops', name: 'audit', version: '2.0.0', context: {} },
    });
    const taskId = created.json.task_id as string;
    const worker = await h.worker();
    await worker.waitFor(taskId, { timeoutMs: 20_000 });
    await worker.stop();
    const verify = (await store.getTask(taskId))?.steps.find((s) => s.name === 'verify');
    return { taskId, stepId: verify?.id as string };
  }

  /** A valid body with every field the document lists, per route. */
  const full = (path: string, method: string): Record<string, unknown> => {
    if (method === 'post' && path === '/tasks')
      return {
        namespace: 'ops',
        name: 'audit',
        version: '2.0.0',
        context: {},
        initiator: 'optional-test',
        source_system: 'suite',
        reason: 'optional fields',
        tags: ['t'],
        identity_key: `optional-${++seq}`,
        bypass_steps: [],
        annotations: { note: 'x' },
        run_at: '2020-01-01T00:00:00Z',
        priority: 3,
      };
    if (method === 'post' && path === '/schedules')
      return {
        name: `optional-${++seq}`,
        cron: '@daily',
        timezone: 'UTC',
        namespace: 'ops',
        task_name: 'audit',
        version: '2.0.0',
        context: {},
        catch_up: 'none',
        catch_up_limit: 1,
        paused: true,
      };
    // Its one field is required; each task of it is the body of POST /tasks (checked above).
    if (method === 'post' && path === '/tasks/batch') return { tasks: [full('/tasks', 'post')] };
    if (method === 'patch' && path === '/tasks/{id}') return { reason: 'r', tags: ['a'] };
    if (method === 'patch') return { retry_limit: 5, inputs: { a: 1 } };
    if (path.endsWith('/resolve')) return { reason: 'by hand', result: { ok: true } };
    return { reason: 'again' };
  };

  it('answers a body without any one optional field with something other than 400', async () => {
    const document = h.api.openapi() as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
      components?: { schemas?: Record<string, BodySchema> };
    };
    const resolve = (schema: unknown): BodySchema => {
      const ref = (schema as { $ref?: string }).$ref;
      return ref === undefined
        ? (schema as BodySchema)
        : (document.components?.schemas?.[ref.split('/').pop() as string] ?? {});
    };
    const checked: string[] = [];
    for (const [rawPath, operations] of Object.entries(document.paths)) {
      const path = rawPath.replace(/^\/tasker/, '');
      for (const [method, operation] of Object.entries(operations)) {
        const schema = operation.requestBody?.content['application/json']?.schema;
        if (schema === undefined) continue;
        const { properties = {}, required = [] } = resolve(schema);
        const body = full(path, method);
        expect(Object.keys(body).sort(), `${method} ${path}: the test's body lists every field`).toEqual(
          Object.keys(properties).sort(),
        );
        for (const field of Object.keys(properties).filter((f) => !required.includes(f))) {
          const { taskId, stepId } = path.includes('{') ? await erroredStep() : { taskId: '', stepId: '' };
          const concrete = path.replace('{id}', taskId).replace('{stepId}', stepId);
          const without = { ...full(path, method) };
          delete without[field];
          const r = await h.call(method.toUpperCase(), concrete, { body: without });
          expect(
            r.status,
            `${method.toUpperCase()} ${path} without ${field}: ${JSON.stringify(r.json)}`,
          ).not.toBe(400);
          expect(r.status).toBeLessThan(500);
          checked.push(`${method.toUpperCase()} ${path} -${field}`);
        }
      }
    }
    // Every body route took part: POST /tasks, PATCH task, PATCH step, retry, resolve, POST /schedules.
    expect(new Set(checked.map((c) => c.split(' -')[0])).size).toBe(6);
  }, 120_000);
});
