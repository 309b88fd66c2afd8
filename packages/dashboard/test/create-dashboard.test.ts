/**
 * The server part, through the API's `fetch` (no browser): options are validated naming the
 * field; the page and the manifest's assets are served open, even with JWT on, under the CSP;
 * nothing outside the manifest is served.
 */
import {
  createPgliteStore,
  createTasker,
  defineTask,
  type Tasker,
  type TaskStore,
} from '@tasker/orchestrator';
import { createJwtAuthenticator, createTaskerApi } from '@tasker/orchestrator/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskerDashboard } from '../src/index';

let store: TaskStore;
let tasker: Tasker;

beforeAll(async () => {
  store = await createPgliteStore();
  tasker = createTasker({
    store,
    tasks: [
      defineTask({
        namespace: 'ops',
        name: 'ping',
        version: '1.0.0',
        steps: [{ name: 'ping', handler: async () => 1 }],
      }),
    ],
  });
}, 60_000);
afterAll(async () => {
  await store?.close();
});

const get = (api: { fetch(r: Request): Promise<Response> }, path: string, method = 'GET') =>
  api.fetch(new Request(`http://127.0.0.1${path}`, { method }));

describe('createTaskerDashboard', () => {
  it('rejects bad options, naming the field', () => {
    const api = createTaskerApi({ tasker });
    expect(() => createTaskerDashboard({} as never)).toThrow(/api: expected exactly one of api or tasker/);
    expect(() => createTaskerDashboard({} as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => createTaskerDashboard({ api, tasker } as never)).toThrow(
      /api: expected exactly one of api or tasker/,
    );
    expect(() => createTaskerDashboard({ api, path: 'ui/' })).toThrow(/path: expected a path such as "\/ui"/);
    expect(() => createTaskerDashboard({ api: {} as never })).toThrow(/api: expected a TaskerApi/);
    expect(() => createTaskerDashboard({ api, router: {} } as never)).toThrow(
      /router: expected an EventRouter \(from createEventRouter\), with tap\(\)/,
    );
  });

  it('serves the page and its assets open, even with JWT on, and nothing else', async () => {
    const authenticate = createJwtAuthenticator({ secret: 'a-secret-of-at-least-thirty-two-bytes' });
    const api = createTaskerApi({ tasker, auth: { authenticate } });
    const dashboard = createTaskerDashboard({ api, path: '/console' });
    expect(dashboard.path).toBe('/tasker/console');

    const page = await get(api, '/tasker/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).toContain('<meta name="tasker-api" content="/tasker">');
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    const script = html.match(/src="([^"]+)"/)?.[1] ?? '';
    expect(script).toMatch(/^\/tasker\/console\/app\.js\?v=[0-9a-f]{16}$/);

    const js = await get(api, script);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBe(csp);
    expect((await js.text()).length).toBeGreaterThan(1000);
    expect((await get(api, '/tasker/console/app.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    const head = await get(api, '/tasker/console/app.css', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    for (const other of [
      '/tasker/console/manifest.json',
      '/tasker/console/nope.js',
      '/tasker/console/%2e%2e/index.js',
    ]) {
      expect((await get(api, other)).status, other).toBe(404);
    }
    // The API's own routes still need the token.
    expect((await get(api, '/tasker/handlers')).status).toBe(401);
  });

  it('makes the API when given a tasker', async () => {
    const dashboard = createTaskerDashboard({ tasker });
    expect(dashboard.path).toBe('/tasker/ui');
    expect((await get(dashboard.api, '/tasker/ui')).status).toBe(200);
    expect((await get(dashboard.api, '/tasker/handlers')).status).toBe(200);
  });
});
