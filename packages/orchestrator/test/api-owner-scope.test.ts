/**
 * Owner scoping (`auth.scopeToOwner`), walked over HTTP with real JWTs: two principals with
 * every task and step permission see and act on only their own tasks; every route under
 * `/tasks/{id}` answers another owner's task as not found (404, as if it did not exist); the
 * list counts only one's own; an identity key taken by another owner is a 409; a principal
 * holding `tasker.task:index_all` sees every task; with scoping off (the default), everyone does.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaimsCoordinator, createJwtAuthenticator, createTaskerApi } from '../src/api/index';
import { createPgliteStore, type TaskStore } from '../src/index';
import { type ApiHarness, startApiHarness } from './support/api-harness';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const TASK_PERMISSIONS = [
  'tasker.task:index',
  'tasker.task:show',
  'tasker.task:create',
  'tasker.task:update',
  'tasker.task:cancel',
  'tasker.workflow_step:index',
  'tasker.workflow_step:show',
  'tasker.workflow_step:update',
  'tasker.workflow_step:retry',
  'tasker.workflow_step:cancel',
  'tasker.task:create_many',
];
const token = (sub: string, permissions = TASK_PERMISSIONS) =>
  new SignJWT({ permissions })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

/** Every route under a task, with a body that is valid for it. */
const TASK_ROUTES: readonly { method: string; path: string; body?: unknown }[] = [
  { method: 'GET', path: '/tasks/{id}' },
  { method: 'PATCH', path: '/tasks/{id}', body: { reason: 'mine now' } },
  { method: 'DELETE', path: '/tasks/{id}' },
  { method: 'GET', path: '/tasks/{id}/workflow_steps' },
  { method: 'GET', path: '/tasks/{id}/workflow_steps/{stepId}' },
  { method: 'PATCH', path: '/tasks/{id}/workflow_steps/{stepId}', body: { retry_limit: 4 } },
  { method: 'POST', path: '/tasks/{id}/workflow_steps/{stepId}/resolve', body: { reason: 'x' } },
  { method: 'POST', path: '/tasks/{id}/workflow_steps/{stepId}/retry', body: { reason: 'x' } },
  { method: 'DELETE', path: '/tasks/{id}/workflow_steps/{stepId}' },
];

describe('owner scoping over HTTP (JWT + claims coordinator)', () => {
  let store: TaskStore;
  let h: ApiHarness;
  const bearer: Record<string, string> = {};
  const tasks: Record<string, { id: string; stepId: string }> = {};

  const submit = async (who: string, body: Record<string, unknown> = {}) =>
    h.call('POST', '/tasks', {
      body: { namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: who }, ...body },
      headers: { authorization: `Bearer ${bearer[who]}` },
    });
  const as = (who: string) => ({ headers: { authorization: `Bearer ${bearer[who]}` } });
  /** What an action could change in a task: its state, reason, tags and its steps. */
  const snapshot = async (id: string) => {
    const t = await store.getTask(id);
    return {
      state: t?.state,
      reason: t?.reason,
      tags: t?.tags,
      steps: t?.steps.map((x) => ({ state: x.state, retryLimit: x.retryLimit, attempts: x.attempts })),
    };
  };
  const ids = (json: Record<string, unknown>) =>
    (json.tasks as { task_id: string }[]).map((t) => t.task_id).sort();

  beforeAll(async () => {
    store = await createPgliteStore();
    h = await startApiHarness(store, {
      auth: {
        authenticate: createJwtAuthenticator({ secret: SECRET }),
        authorize: createClaimsCoordinator(),
        scopeToOwner: true,
        onRefusedToken: () => {},
      },
    });
    bearer.alice = await token('alice');
    bearer.bob = await token('bob');
    bearer.auditor = await token('auditor', [...TASK_PERMISSIONS, 'tasker.task:index_all']);
    for (const who of ['alice', 'bob']) {
      const created = await submit(who, { identity_key: `key-${who}` });
      expect(created.status).toBe(201);
      expect(created.json.owner).toBe(who);
      tasks[who] = { id: created.json.task_id, stepId: created.json.workflow_steps[1].workflow_step_id };
    }
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await store?.close();
  });

  it('lists only the tasks a principal owns; tasker.task:index_all lists every one', async () => {
    const alice = await h.call('GET', '/tasks', as('alice'));
    expect(ids(alice.json)).toEqual([tasks.alice?.id]);
    expect(alice.json.pagination.total).toBe(1);
    const bob = await h.call('GET', '/tasks', as('bob'));
    expect(ids(bob.json)).toEqual([tasks.bob?.id]);
    const auditor = await h.call('GET', '/tasks', as('auditor'));
    expect(ids(auditor.json)).toEqual([tasks.alice?.id, tasks.bob?.id].sort());
  });

  for (const route of TASK_ROUTES) {
    it(`${route.method} ${route.path}: another owner's task is not found; one's own is there`, async () => {
      const path = (owner: 'alice' | 'bob') =>
        route.path.replace('{id}', tasks[owner]?.id ?? '').replace('{stepId}', tasks[owner]?.stepId ?? '');
      const before = await snapshot(tasks.bob?.id ?? '');
      const foreign = await h.call(route.method, path('bob'), { ...as('alice'), body: route.body });
      expect(foreign.status).toBe(404);
      expect(foreign.json.code).toBe('TASK_NOT_FOUND');
      // Not found, and untouched: the refusal came before the action.
      expect(await snapshot(tasks.bob?.id ?? '')).toEqual(before);
      // The read-only routes show one's own task; the rest act on it (or meet a state: 409).
      const own = await h.call(route.method, path('alice'), { ...as('alice'), body: route.body });
      expect([200, 409]).toContain(own.status);
    });
  }

  it("refuses an identity key that another owner's task holds (409), and returns one's own", async () => {
    const taken = await submit('alice', { identity_key: 'key-bob' });
    expect(taken.status).toBe(409);
    expect(taken.json.code).toBe('IDENTITY_KEY_TAKEN');
    expect(taken.json.errors[0].field).toBe('identity_key');
    expect(JSON.stringify(taken.json)).not.toContain(tasks.bob?.id);
    const again = await submit('alice', { identity_key: 'key-alice' });
    expect(again.status).toBe(200);
    expect(again.json.task_id).toBe(tasks.alice?.id);
  });

  it("answers a batch's task whose identity key another owner holds with an error, not that task", async () => {
    const body = (order: string, identity_key: string) => ({
      namespace: 'shop',
      name: 'checkout',
      version: '1.0.0',
      context: { order_id: order },
      identity_key,
    });
    const batch = await h.call('POST', '/tasks/batch', {
      ...as('alice'),
      body: { tasks: [body('a-1', 'key-bob'), body('a-2', 'key-alice'), body('a-3', 'alice-batch-1')] },
    });
    expect(batch.status).toBe(201);
    expect(batch.json.tasks[0]).toEqual({
      task_id: null,
      created: false,
      error: {
        code: 'IDENTITY_KEY_TAKEN',
        field: 'tasks[0].identity_key',
        message: 'identity_key is taken by a task of another owner',
      },
    });
    expect(batch.json.tasks[1]).toEqual({ task_id: tasks.alice?.id, created: false });
    expect(batch.json.tasks[2].created).toBe(true);
    expect(JSON.stringify(batch.json)).not.toContain(tasks.bob?.id);
    // Its new task is the principal's, as with POST /tasks.
    const created = await h.call('GET', `/tasks/${batch.json.tasks[2].task_id}`, as('alice'));
    expect(created.json.owner).toBe('alice');
    expect((await h.call('GET', `/tasks/${batch.json.tasks[2].task_id}`, as('bob'))).status).toBe(404);
  });

  it('lets tasker.task:index_all see and act on any task', async () => {
    const shown = await h.call('GET', `/tasks/${tasks.bob?.id}`, as('auditor'));
    expect(shown.status).toBe(200);
    expect(shown.json.owner).toBe('bob');
  });

  it('is off by default: then every principal with the permission sees every task', async () => {
    const api = createTaskerApi({
      tasker: h.tasker,
      auth: { authenticate: createJwtAuthenticator({ secret: SECRET }), onRefusedToken: () => {} },
    });
    const server = await api.listen();
    try {
      const r = await fetch(`${server.url}/tasker/tasks/${tasks.bob?.id}`, as('alice'));
      expect(r.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('needs authentication: scoping without an authenticator is a configuration error', () => {
    expect(() => createTaskerApi({ tasker: h.tasker, auth: { scopeToOwner: true } })).toThrow(
      /auth\.scopeToOwner: needs auth\.authenticate/,
    );
  });
});
