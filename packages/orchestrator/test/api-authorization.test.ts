/**
 * Authorization matrix: the original's route → permission table, written out here as data
 * (independently of the app), walked route by route over a real HTTP server with real JWTs:
 * each route is 403 with every permission but its own, and passes with only its own.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaimsCoordinator, createJwtAuthenticator, PERMISSIONS } from '../src/api/index';
import { createPgliteStore, defineTask, PermanentError, type TaskStore } from '../src/index';
import { type ApiHarness, startApiHarness } from './support/api-harness';

const TABLE: readonly { method: string; path: string; permission: string }[] = [
  { method: 'GET', path: '/handlers', permission: 'tasker.handler:index' },
  { method: 'GET', path: '/handlers/{namespace}', permission: 'tasker.handler:index' },
  { method: 'GET', path: '/handlers/{namespace}/{name}', permission: 'tasker.handler:show' },
  { method: 'GET', path: '/tasks', permission: 'tasker.task:index' },
  { method: 'GET', path: '/tasks/{id}', permission: 'tasker.task:show' },
  { method: 'POST', path: '/tasks', permission: 'tasker.task:create' },
  { method: 'POST', path: '/tasks/batch', permission: 'tasker.task:create_many' },
  { method: 'PATCH', path: '/tasks/{id}', permission: 'tasker.task:update' },
  { method: 'DELETE', path: '/tasks/{id}', permission: 'tasker.task:cancel' },
  { method: 'GET', path: '/tasks/{id}/workflow_steps', permission: 'tasker.workflow_step:index' },
  { method: 'GET', path: '/tasks/{id}/workflow_steps/{stepId}', permission: 'tasker.workflow_step:show' },
  { method: 'PATCH', path: '/tasks/{id}/workflow_steps/{stepId}', permission: 'tasker.workflow_step:update' },
  {
    method: 'POST',
    path: '/tasks/{id}/workflow_steps/{stepId}/resolve',
    permission: 'tasker.workflow_step:update',
  },
  {
    method: 'DELETE',
    path: '/tasks/{id}/workflow_steps/{stepId}',
    permission: 'tasker.workflow_step:cancel',
  },
  {
    method: 'POST',
    path: '/tasks/{id}/workflow_steps/{stepId}/retry',
    permission: 'tasker.workflow_step:retry',
  },
  { method: 'GET', path: '/health/status', permission: 'tasker.health_status:index' },
  { method: 'GET', path: '/metrics', permission: 'tasker.metrics:index' },
  { method: 'GET', path: '/analytics/performance', permission: 'tasker.analytics:index' },
  { method: 'GET', path: '/analytics/bottlenecks', permission: 'tasker.analytics:index' },
  { method: 'GET', path: '/retention', permission: 'tasker.retention:index' },
  { method: 'GET', path: '/events/stream', permission: 'tasker.events:index' },
  { method: 'GET', path: '/schedules', permission: 'tasker.schedule:index' },
  { method: 'GET', path: '/schedules/{name}', permission: 'tasker.schedule:show' },
  { method: 'POST', path: '/schedules', permission: 'tasker.schedule:create' },
  { method: 'POST', path: '/schedules/{name}/pause', permission: 'tasker.schedule:pause' },
  { method: 'POST', path: '/schedules/{name}/resume', permission: 'tasker.schedule:resume' },
  // After the POST row: it removes the schedule that one added.
  { method: 'DELETE', path: '/schedules/{name}', permission: 'tasker.schedule:destroy' },
];
const OPEN = [
  '/health/live',
  '/health/ready',
  '/openapi.json',
  '/docs',
  '/docs/init.js',
  '/docs/assets/{file}',
];

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const token = (claims: Record<string, unknown>, sub = 'ops-user') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

describe('authorization matrix over HTTP (JWT + claims coordinator)', () => {
  const refused: string[] = [];
  let store: TaskStore;
  let h: ApiHarness;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    store = await createPgliteStore();
    // Fails for good the first time, then succeeds: a retry through the API has something to do.
    let flakyRuns = 0;
    const flaky = defineTask({
      namespace: 'ops',
      name: 'flaky',
      version: '1.0.0',
      steps: [
        {
          name: 'once',
          handler: async () => {
            if (++flakyRuns === 1) throw new PermanentError('not yet');
            return 'second time';
          },
        },
      ],
    });
    h = await startApiHarness(
      store,
      {
        auth: {
          authenticate: createJwtAuthenticator({ secret: SECRET }),
          authorize: createClaimsCoordinator(),
          onRefusedToken: (reason, request) => refused.push(`${new URL(request.url).pathname}: ${reason}`),
        },
        metricsHandler: async () =>
          new Response('tasker_up 1\n', { headers: { 'content-type': 'text/plain' } }),
      },
      [flaky],
    );
    const admin = await token({ roles: ['admin'] });
    const created = await h.call('POST', '/tasks', {
      body: { namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: 'm-1' } },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(created.status).toBe(201);
    ids.id = created.json.task_id;
    ids.stepId = created.json.workflow_steps[1].workflow_step_id;
    ids.namespace = 'shop';
    ids.name = 'checkout';
    const schedule = await h.call('POST', '/schedules', {
      body: {
        name: 'matrix',
        cron: '0 0 * * *',
        namespace: 'shop',
        task_name: 'checkout',
        context: { order_id: 's-1' },
      },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(schedule.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await store?.close();
  });

  // `{name}` is a handler's name under /handlers and a schedule's under /schedules: DELETE removes
  // the one the POST row added, so that the others keep theirs.
  const concrete = (path: string, method = 'GET') =>
    path.replace(/\{(\w+)\}/g, (_, k: string) =>
      path.startsWith('/schedules/') ? (method === 'DELETE' ? 'matrix-added' : 'matrix') : (ids[k] ?? 'x'),
    );
  const bodyFor = (method: string, path: string): unknown =>
    method === 'POST' && path === '/schedules'
      ? {
          name: 'matrix-added',
          cron: '@hourly',
          namespace: 'shop',
          task_name: 'checkout',
          context: { order_id: 's-2' },
        }
      : method === 'POST' && path === '/tasks'
        ? { namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: 'm-2' } }
        : method === 'POST' && path === '/tasks/batch'
          ? {
              tasks: [
                { namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: 'm-3' } },
              ],
            }
          : method === 'PATCH' && path === '/tasks/{id}'
            ? { reason: 'matrix' }
            : method === 'PATCH'
              ? { retry_limit: 4 }
              : undefined;

  it('the table as data equals the app route table (every guarded route, every permission)', () => {
    const guarded = h.api.routes
      .filter((r) => r.permission !== null)
      .map((r) => `${r.method} ${r.path.slice('/tasker'.length)} ${r.permission}`);
    expect(guarded.sort()).toEqual(TABLE.map((r) => `${r.method} ${r.path} ${r.permission}`).sort());
    const open = h.api.routes.filter((r) => r.permission === null).map((r) => r.path.slice('/tasker'.length));
    expect(open.sort()).toEqual([...OPEN].sort());
    // The original's 18, tasker.task:index_all (it widens owner scoping and guards no route),
    // tasker.retention:index, the six tasker.schedule:* and tasker.task:create_many (issue #14),
    // tasker.events:index (issue #15).
    expect(PERMISSIONS).toHaveLength(28);
    for (const row of TABLE) expect(PERMISSIONS).toContain(row.permission);
  });

  for (const row of TABLE) {
    it(`${row.method} ${row.path}: 403 without ${row.permission}, allowed with it`, async () => {
      const others = PERMISSIONS.filter((p) => p !== row.permission);
      const denied = await h.call(row.method, concrete(row.path, row.method), {
        body: bodyFor(row.method, row.path),
        headers: { authorization: `Bearer ${await token({ permissions: others })}` },
      });
      expect(denied.status).toBe(403);
      expect(denied.json.code).toBe('FORBIDDEN');
      expect(denied.json.detail).toContain(row.permission);
      const allowed = await h.call(row.method, concrete(row.path, row.method), {
        body: bodyFor(row.method, row.path),
        headers: { authorization: `Bearer ${await token({ permissions: [row.permission] })}` },
      });
      expect([401, 403]).not.toContain(allowed.status);
      // Resolve, retry and cancel may meet a state that refuses them (409): authorization passed.
      expect(allowed.status === 409 ? allowed.json.code : 'ok').toMatch(/^(ok|INVALID_TRANSITION)$/);
      // /health/status answers 503 with its reasons when unhealthy (no worker runs here).
      if (row.path === '/health/status') expect(allowed.json.status).toMatch(/^(healthy|unhealthy)$/);
      else if (allowed.status !== 409) expect(allowed.status).toBeLessThan(300);
    });
  }

  it('401 with WWW-Authenticate without a token, and for a bad, expired or unsigned one', async () => {
    const none = await h.call('GET', '/tasks');
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tasker"');
    const expired = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const r = await h.call('GET', '/tasks', { headers: { authorization: `Bearer ${expired}` } });
    expect(r.status).toBe(401);
    expect(r.json.code).toBe('INVALID_TOKEN');
    // The client learns only that the token was refused; why goes to the log.
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="tasker", error="invalid_token"');
    expect(r.json.detail).toBe('Invalid token: the token was refused');
    expect(refused).toEqual(['/tasker/tasks: the token has expired']);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'root', roles: ['admin'] })}.`;
    const n = await h.call('GET', '/tasks', { headers: { authorization: `Bearer ${unsigned}` } });
    expect(n.status).toBe(401);
    const garbage = await h.call('GET', '/tasks', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(garbage.status).toBe(401);
    expect(JSON.stringify(garbage.json)).not.toContain('Bearer <token>');
    expect(refused).toHaveLength(3);
  });

  it('retries a failed step with tasker.workflow_step:retry, and the step then completes', async () => {
    const submitter = await token({ permissions: ['tasker.task:create', 'tasker.task:show'] });
    const created = await h.call('POST', '/tasks', {
      body: { namespace: 'ops', name: 'flaky', version: '1.0.0', context: {} },
      headers: { authorization: `Bearer ${submitter}` },
    });
    expect(created.status).toBe(201);
    const taskId = created.json.task_id as string;
    const stepId = created.json.workflow_steps[0].workflow_step_id as string;
    const worker = await h.worker();
    const failed = await worker.waitFor(taskId, { timeoutMs: 20_000 });
    expect(failed.state).toBe('error');
    const path = `/tasks/${taskId}/workflow_steps/${stepId}/retry`;
    // Without the permission: 403, and the step stays in error.
    const denied = await h.call('POST', path, { headers: { authorization: `Bearer ${submitter}` } });
    expect(denied.status).toBe(403);
    const retried = await h.call('POST', path, {
      headers: { authorization: `Bearer ${await token({ permissions: ['tasker.workflow_step:retry'] })}` },
    });
    expect(retried.status).toBe(200);
    const done = await worker.waitFor(taskId, { timeoutMs: 20_000 });
    expect(done.state).toBe('complete');
    // A manual retry starts the step's attempt count again.
    expect(done.steps[0]).toMatchObject({ state: 'complete', results: 'second time', attempts: 1 });
  });

  it("records the token's subject as initiator and owner; the client's initiator is kept apart", async () => {
    const creator = await token({ permissions: ['tasker.task:create'] }, 'svc-billing');
    const created = await h.call('POST', '/tasks', {
      body: {
        namespace: 'shop',
        name: 'checkout',
        version: '1.0.0',
        context: { order_id: 'who-1' },
        initiator: 'someone-else',
      },
      headers: { authorization: `Bearer ${creator}` },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      initiator: 'svc-billing',
      owner: 'svc-billing',
      requested_initiator: 'someone-else',
    });
    const stored = await store.getTask(created.json.task_id);
    expect(stored).toMatchObject({
      initiator: 'svc-billing',
      owner: 'svc-billing',
      requestedInitiator: 'someone-else',
    });
  });

  it('checks permissions by default once a token is required; "none" must be written out', async () => {
    const { createTaskerApi } = await import('../src/api/index');
    const plain = await token({});
    const listen = async (authorize?: 'none') =>
      createTaskerApi({
        tasker: h.tasker,
        auth: {
          authenticate: createJwtAuthenticator({ secret: SECRET }),
          ...(authorize === undefined ? {} : { authorize }),
          onRefusedToken: () => {},
        },
      }).listen();
    const get = (server: { url: string }, bearer: string) =>
      fetch(`${server.url}/tasker/tasks`, { headers: { authorization: `Bearer ${bearer}` } });
    const secure = await listen();
    const open = await listen('none');
    try {
      // A valid token without the permission: refused by the claims coordinator, the default.
      const denied = await get(secure, plain);
      expect(denied.status).toBe(403);
      expect(((await denied.json()) as { detail: string }).detail).toContain('tasker.task:index');
      expect((await get(secure, await token({ permissions: ['tasker.task:index'] }))).status).toBe(200);
      // Written out: any valid token may do everything.
      expect((await get(open, plain)).status).toBe(200);
    } finally {
      await secure.close();
      await open.close();
    }
  });

  it('keeps live, ready, the document and the docs open; an admin role passes everywhere', async () => {
    for (const path of ['/health/live', '/health/ready', '/openapi.json', '/docs'])
      expect((await h.call('GET', path)).status, path).toBe(200);
    const admin = await token({ roles: ['admin'] });
    for (const row of TABLE.filter((r) => r.method === 'GET')) {
      const r = await h.call('GET', concrete(row.path), { headers: { authorization: `Bearer ${admin}` } });
      expect(r.status).toBe(row.path === '/health/status' && r.json.status === 'unhealthy' ? 503 : 200);
    }
  });

  it('leaves /health/status and /metrics open when configured so', async () => {
    const { createTaskerApi } = await import('../src/api/index');
    const api = createTaskerApi({
      tasker: h.tasker,
      auth: {
        authenticate: createJwtAuthenticator({ secret: SECRET }),
        authorize: createClaimsCoordinator(),
        healthStatusRequiresAuth: false,
        metricsRequiresAuth: false,
      },
      metricsHandler: async () => new Response('tasker_up 1\n'),
    });
    const server = await api.listen();
    try {
      const status = await fetch(`${server.url}/tasker/health/status`);
      expect([200, 503]).toContain(status.status);
      expect(((await status.json()) as { status: string }).status).toMatch(/^(healthy|unhealthy)$/);
      expect((await fetch(`${server.url}/tasker/metrics`)).status).toBe(200);
      expect((await fetch(`${server.url}/tasker/tasks`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});
