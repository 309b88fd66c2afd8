/**
 * `api.mount`: extra routes under the API's prefix, over a real HTTP server with real JWTs. An
 * open mount answers without a token; a mount with a permission gives the API's 401 and 403
 * problems; a handler that throws gives the API's 500 problem (and `onError` hears it), an
 * `ApiError` its own status; other methods get the API's 405; bad mounts are refused.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  createClaimsCoordinator,
  createJwtAuthenticator,
  createTaskerApi,
  type MountContext,
  type RunningServer,
  type TaskerApi,
} from '../src/api/index';
import { createPgliteStore, createTasker, type Tasker } from '../src/index';
import { expectProblem } from './support/api-harness';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const key = new TextEncoder().encode(SECRET);
const token = (permissions: string[]) =>
  new SignJWT({ permissions })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('viewer')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

describe('api.mount', () => {
  let tasker: Tasker;
  let api: TaskerApi;
  let server: RunningServer;
  const heard: unknown[] = [];
  const seen: MountContext[] = [];

  beforeAll(async () => {
    tasker = createTasker({ store: await createPgliteStore(), tasks: [], onError: () => {} });
    api = createTaskerApi({
      tasker,
      prefix: '/ops',
      auth: {
        authenticate: createJwtAuthenticator({ secret: SECRET }),
        authorize: createClaimsCoordinator(),
        onRefusedToken: () => {},
      },
      onError: (error) => heard.push(error),
    });
    api.mount('/ui', (request, context) => {
      seen.push(context);
      return new Response(`asset ${context.subpath || '/'} (${request.method})`, {
        headers: { 'content-type': 'text/plain' },
      });
    });
    api.mount(
      '/reports',
      (_request, context) => Response.json({ for: context.principal?.id ?? null, path: context.subpath }),
      { permission: 'tasker.analytics:index', methods: ['GET', 'POST'] },
    );
    api.mount('/boom', () => {
      throw new Error('the handler broke');
    });
    api.mount('/gone', async () => {
      throw new ApiError('NOT_FOUND', 'No such report');
    });
    server = await api.listen();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await (await tasker?.store())?.close();
  });

  it('serves an open mount under the prefix without a token, with the path below it', async () => {
    const page = await fetch(`${server.url}/ops/ui`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('asset / (GET)');
    const asset = await fetch(`${server.url}/ops/ui/assets/app.js`);
    expect(await asset.text()).toBe('asset /assets/app.js (GET)');
    expect(seen.at(-1)).toEqual({
      principal: null,
      subpath: '/assets/app.js',
      mountPath: '/ops/ui',
      owner: undefined,
    });
    // Only under the prefix.
    const outside = await fetch(`${server.url}/ui/assets/app.js`);
    expect(outside.status).toBe(404);
    expectProblem(404, outside.headers.get('content-type'), await outside.json());
  });

  it('guards a mount with a permission: 401 without a token, 403 without the permission', async () => {
    const anonymous = await fetch(`${server.url}/ops/reports/daily`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    const body401 = (await anonymous.json()) as { code: string };
    expectProblem(401, anonymous.headers.get('content-type'), body401);
    expect(body401.code).toBe('UNAUTHENTICATED');

    const bad = await fetch(`${server.url}/ops/reports/daily`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_TOKEN');

    const other = await fetch(`${server.url}/ops/reports/daily`, {
      headers: { authorization: `Bearer ${await token(['tasker.task:index'])}` },
    });
    expect(other.status).toBe(403);
    const body403 = (await other.json()) as { detail: string };
    expectProblem(403, other.headers.get('content-type'), body403);
    expect(body403.detail).toContain('tasker.analytics:index');

    const allowed = await fetch(`${server.url}/ops/reports/daily`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(['tasker.analytics:index'])}` },
    });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ for: 'viewer', path: '/daily' });
  });

  it("tells a mount the caller's owner scope: its subject, unless it may see every task", async () => {
    const scoped = createTaskerApi({
      tasker,
      auth: {
        authenticate: createJwtAuthenticator({ secret: SECRET }),
        scopeToOwner: true,
        onRefusedToken: () => {},
      },
    });
    scoped.mount('/feed', (_request, context) => Response.json({ owner: context.owner ?? null }), {
      permission: 'tasker.events:index',
    });
    const ask = async (permissions: string[]) =>
      (
        await scoped.fetch(
          new Request('http://127.0.0.1/tasker/feed', {
            headers: { authorization: `Bearer ${await token(permissions)}` },
          }),
        )
      ).json();
    expect(await ask(['tasker.events:index'])).toEqual({ owner: 'viewer' });
    expect(await ask(['tasker.events:index', 'tasker.task:index_all'])).toEqual({ owner: null });
  });

  it("gives a throwing handler the API's problem answers", async () => {
    const broken = await fetch(`${server.url}/ops/boom`);
    expect(broken.status).toBe(500);
    const body = await broken.json();
    expectProblem(500, broken.headers.get('content-type'), body);
    expect(JSON.stringify(body)).not.toContain('the handler broke');
    expect(heard.map((e) => (e as Error).message)).toContain('the handler broke');

    const gone = await fetch(`${server.url}/ops/gone/x`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { code: string }).code).toBe('NOT_FOUND');
  });

  it("answers other methods with the API's 405 and lists the mounts in api.routes", async () => {
    const posted = await fetch(`${server.url}/ops/ui/assets/app.js`, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET, HEAD');
    expectProblem(405, posted.headers.get('content-type'), await posted.json());
    expect(api.routes).toContainEqual({
      method: 'GET',
      path: '/ops/reports/*',
      permission: 'tasker.analytics:index',
    });
    expect(api.routes).toContainEqual({ method: 'GET', path: '/ops/ui', permission: null });
  });

  it('refuses a mount that is late, overlaps a route, or is malformed', () => {
    const mount = (path: string, options?: Parameters<TaskerApi['mount']>[2]) => () =>
      api.mount(path, () => new Response('x'), options);
    expect(mount('/late')).toThrow(/already answered a request/);
    const fresh = createTaskerApi({ tasker });
    expect(() => fresh.mount('/tasks/extra', () => new Response('x'))).toThrow(
      /\/tasker\/tasks\/extra overlaps the route [A-Z]+ \/tasker\/tasks/,
    );
    expect(() => fresh.mount('/health', () => new Response('x'))).toThrow(/overlaps/);
    expect(() => fresh.mount('ui/', () => new Response('x'))).toThrow(
      /mount path: expected a path such as "\/ui"/,
    );
    expect(() =>
      fresh.mount('/ui', () => new Response('x'), { permission: 'tasker.nothing:index' as never }),
    ).toThrow(/permission: expected one of the API's permissions/);
    expect(() => fresh.mount('/ui', () => new Response('x'), { methods: ['BREW'] })).toThrow(
      /methods: expected/,
    );
    fresh.mount('/ui', () => new Response('x'));
    expect(() => fresh.mount('/ui', () => new Response('x'))).toThrow(/overlaps the route GET \/tasker\/ui/);
  });
});
