/**
 * The history route the dashboard mounts (`GET <prefix>/analytics/history`), through the API's
 * `fetch`: guarded by `tasker.analytics:index` (401, 403, then 200), a bad range is a 400 naming
 * `range`, `{ registry: false }` without a registry, and a bad `registry` option is a
 * CONFIG_INVALID naming it.
 */
import { createRegistry } from '@tasker/metrics-native';
import { createTasker } from '@tasker/orchestrator';
import { createTaskerApi, type Principal } from '@tasker/orchestrator/api';
import { afterAll, describe, expect, it } from 'vitest';
import { createTaskerDashboard } from '../src/index';

// No route here reads the store, so the engine never makes one (no database to wait for).
const tasker = createTasker({ tasks: [] });
afterAll(async () => {
  await tasker.stop();
});

/** A bearer "token" that is the caller's permissions, comma-separated (the claims coordinator decides). */
const authenticate = (request: Request): Principal | null => {
  const header = request.headers.get('authorization');
  if (header === null) return null;
  return { id: 'ada', claims: { permissions: header.replace(/^Bearer /, '').split(',') } };
};

const get = (api: { fetch(r: Request): Promise<Response> }, path: string, token?: string) =>
  api.fetch(
    new Request(
      `http://127.0.0.1${path}`,
      token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
    ),
  );

describe('the trends history route', () => {
  it('needs tasker.analytics:index, then serves the history', async () => {
    const registry = createRegistry();
    const api = createTaskerApi({ tasker, auth: { authenticate } });
    const dashboard = createTaskerDashboard({ api, registry });
    try {
      expect((await get(api, '/tasker/analytics/history')).status).toBe(401);
      expect((await get(api, '/tasker/analytics/history', 'tasker.handler:index')).status).toBe(403);
      const ok = await get(api, '/tasker/analytics/history?range=1h', 'tasker.analytics:index');
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as {
        registry: boolean;
        range: string;
        resolution_ms: number;
        points: { time: number[] };
      };
      expect(body).toMatchObject({ registry: true, range: '1h', resolution_ms: 30_000 });
      expect(body.points.time).toHaveLength(120);
      expect(api.routes.find((r) => r.path === '/tasker/analytics/history')).toMatchObject({
        method: 'GET',
        permission: 'tasker.analytics:index',
      });
    } finally {
      dashboard.stop();
    }
  });

  it('answers a bad range with a 400 naming range, and registry: false without a registry', async () => {
    const api = createTaskerApi({ tasker });
    createTaskerDashboard({ api });
    const bad = await get(api, '/tasker/analytics/history?range=2h');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'range', message: 'expected one of 15m, 1h, 24h, received "2h"' }],
    });
    expect(await (await get(api, '/tasker/analytics/history')).json()).toEqual({ registry: false });
    expect((await get(api, '/tasker/analytics/history/more')).status).toBe(404);
  });

  it('rejects a registry without collect(), naming the field', () => {
    const api = createTaskerApi({ tasker });
    expect(() => createTaskerDashboard({ api, registry: {} as never })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/registry: expected a @tasker\/metrics-native registry/),
      }),
    );
  });
});
