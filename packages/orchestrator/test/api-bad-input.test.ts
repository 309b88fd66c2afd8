/**
 * Bad input: more than 10,000 generated malformed requests spread over every route (wrong types,
 * missing and unknown fields, invalid JSON, huge bodies, path traversal and unicode in ids and
 * queries, wrong methods and media types). Not one answer may be a 5xx, and every 4xx carries
 * the problem shape. The bulk goes through `api.fetch` in process; a sample, with raw
 * unnormalised paths, goes over a real HTTP server on 127.0.0.1.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteStore, type TaskStore } from '../src/index';
import { type ApiHarness, expectProblem, startApiHarness } from './support/api-harness';

/** mulberry32: a small seeded generator, so a failure replays. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const BAD_IDS = [
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e%2f%2e%2e%2fetc',
  '..%5C..%5Cwindows',
  '%00',
  '%ZZ',
  '%E2%82',
  encodeURIComponent('😀💥'),
  encodeURIComponent('ünïcödé-ид'),
  encodeURIComponent('\u202e\u0000\ud7ff'),
  'x'.repeat(3_000),
  '-1',
  'null',
  '%7B%7D',
  '00000000-0000-4000-8000-00000000000g',
  '00000000-0000-4000-8000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];
const BAD_SCALARS: unknown[] = [
  null,
  true,
  -1,
  1.5,
  1e308,
  '',
  '😀',
  'x'.repeat(5_000),
  [],
  {},
  [1, 'two'],
  { $ne: 1 },
];
const BAD_QUERY_VALUES = [
  'abc',
  '-5',
  '1e309',
  'NaN',
  '99999999999999999999',
  '',
  '1.5',
  '0x10',
  '😀',
  '%ZZ',
  '..%2F',
];
const INVALID_JSON = [
  '{',
  '[1,',
  '"unterminated',
  'nul',
  '{"a":}',
  '\u0000',
  '{"name":"checkout",}',
  "{'a':1}",
  '\ud800',
];
const MEDIA_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  '',
];
const BODY_FIELDS = {
  '/tasks': [
    'name',
    'namespace',
    'version',
    'context',
    'initiator',
    'source_system',
    'reason',
    'tags',
    'identity_key',
    'bypass_steps',
    'annotations',
  ],
  task: ['reason', 'tags'],
  step: ['retry_limit', 'inputs'],
  action: ['reason', 'result'],
};

describe('bad input over every route', () => {
  let store: TaskStore;
  let h: ApiHarness;
  let ids: { id: string; stepId: string };
  let pick: <T>(list: readonly T[]) => T;
  let random: () => number;

  beforeAll(async () => {
    store = await createPgliteStore();
    h = await startApiHarness(store, {
      maxBodyBytes: 64 * 1024,
      onError: (e) => console.error('5xx cause:', e),
    });
    const created = await h.call('POST', '/tasks', {
      body: { namespace: 'shop', name: 'checkout', version: '1.0.0', context: { order_id: 'b-1' } },
    });
    ids = { id: created.json.task_id, stepId: created.json.workflow_steps[0].workflow_step_id };
    random = prng(0x7a5c);
    pick = (list) => list[Math.floor(random() * list.length)] as (typeof list)[number];
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await store?.close();
  });

  /** One malformed request for `route`. */
  function generate(route: { method: string; path: string }): {
    method: string;
    url: string;
    body?: string;
    headers: Record<string, string>;
  } {
    const kind = Math.floor(random() * 8);
    const ok = (name: string) =>
      name === 'id'
        ? ids.id
        : name === 'stepId'
          ? ids.stepId
          : name === 'namespace'
            ? 'shop'
            : name === 'name'
              ? 'checkout'
              : name === 'file'
                ? 'swagger-ui.css'
                : 'x';
    let badParam = kind === 0;
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (badParam || random() < 0.15) {
        badParam = false;
        return pick(BAD_IDS);
      }
      return ok(name);
    });
    const query =
      kind === 1 || random() < 0.2
        ? `?${pick(['limit', 'offset', 'sort_by', 'sort_order', 'status', 'include_dependencies', 'version', 'period_hours', 'namespace', pick(BAD_QUERY_VALUES)])}=${pick(BAD_QUERY_VALUES)}${random() < 0.3 ? '&limit=1&limit=2' : ''}`
        : '';
    const url = `http://127.0.0.1${path}${query}`;
    const hasBody = route.method === 'POST' || route.method === 'PATCH';
    if (kind === 2)
      return {
        method: pick(['PUT', 'OPTIONS', route.method === 'GET' ? 'DELETE' : 'GET', 'PATCH']),
        url,
        headers: {},
      };
    if (!hasBody) return { method: route.method, url, headers: {} };
    const fields = route.path.endsWith('/tasks')
      ? BODY_FIELDS['/tasks']
      : route.path.endsWith('{stepId}')
        ? BODY_FIELDS.step
        : route.path.endsWith('{id}')
          ? BODY_FIELDS.task
          : BODY_FIELDS.action;
    const json = { 'content-type': 'application/json' };
    switch (kind) {
      case 3:
        return { method: route.method, url, body: pick(INVALID_JSON), headers: json };
      case 4:
        return {
          method: route.method,
          url,
          body: JSON.stringify({ blob: 'x'.repeat(70_000 + Math.floor(random() * 10_000)) }),
          headers: json,
        };
      case 5:
        return {
          method: route.method,
          url,
          body: 'name=checkout',
          headers: { 'content-type': pick(MEDIA_TYPES) },
        };
      case 6: {
        // Deeply nested or unicode-keyed JSON.
        const depth = Math.floor(random() * 3_000);
        const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
        return {
          method: route.method,
          url,
          body: `{"${pick(fields)}":${nested || '[]'},"ключ😀":"\\ud800"}`,
          headers: json,
        };
      }
      default: {
        // Wrong types and missing or unknown fields.
        const body: Record<string, unknown> = {};
        for (const f of fields) if (random() < 0.5) body[f] = pick(BAD_SCALARS);
        if (random() < 0.3) body[pick(['__proto__', 'constructor', 'nämé', 'extra'])] = pick(BAD_SCALARS);
        return {
          method: route.method,
          url,
          body: JSON.stringify(random() < 0.1 ? pick(BAD_SCALARS) : body),
          headers: json,
        };
      }
    }
  }

  it('answers 10,500 generated requests in process without a 5xx, every 4xx a problem', async () => {
    const routes = h.api.routes;
    const perRoute = new Map<string, number>();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10_500; i++) {
      const route = routes[i % routes.length]!;
      const r = generate(route);
      const response = await h.api.fetch(
        new Request(r.url, {
          method: r.method,
          headers: r.headers,
          ...(r.body === undefined ? {} : { body: r.body }),
        }),
      );
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500)
        throw new Error(`${r.method} ${r.url} → ${response.status} ${text.slice(0, 300)}`);
      if (response.status >= 400)
        expectProblem(response.status, response.headers.get('content-type'), JSON.parse(text));
      perRoute.set(`${route.method} ${route.path}`, (perRoute.get(`${route.method} ${route.path}`) ?? 0) + 1);
    }
    expect(perRoute.size).toBe(routes.length);
    for (const n of perRoute.values()) expect(n).toBeGreaterThanOrEqual(Math.floor(10_500 / routes.length));
    // The mix reached the validators, the media-type gate, the size cap and the method check.
    for (const status of [400, 404, 405, 413, 415]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it('answers raw traversal paths and a sample of the same generator over HTTP on 127.0.0.1', async () => {
    const port = new URL(h.base).port;
    const raw = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; type: string | undefined; text: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, method, path, headers: { ...headers, connection: 'close' } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], text }),
            );
          },
        );
        req.on('error', reject);
        if (body !== undefined) req.write(body);
        req.end();
      });
    const traversal = [
      '/tasker/tasks/../../etc/passwd',
      '/tasker/tasks/..%2f..%2fetc%2fpasswd',
      '/tasker/../tasker/tasks',
      '/tasker/tasks/%2e%2e/workflow_steps',
      '/tasker/docs/assets/../../package.json',
      '/tasker/docs/assets/..%2f..%2fpackage.json',
      '/tasker/handlers/..%00/x',
      '//tasker//tasks',
      '/tasker/tasks?limit=%ZZ',
    ];
    let count = 0;
    for (const path of traversal) {
      const r = await raw('GET', path);
      expect(r.status, path).toBeLessThan(500);
      if (r.status >= 400) expectProblem(r.status, r.type ?? null, JSON.parse(r.text));
      expect(r.text).not.toContain('root:x:0');
      expect(r.text).not.toContain('"name": "@tasker/orchestrator"');
      count++;
    }
    for (let i = 0; i < 300; i++) {
      const route = h.api.routes[i % h.api.routes.length]!;
      const g = generate(route);
      const u = new URL(g.url);
      const r = await raw(g.method, `${u.pathname}${u.search}`, g.body, g.headers);
      expect(r.status, `${g.method} ${g.url}`).toBeLessThan(500);
      if (r.status >= 400) expectProblem(r.status, r.type ?? null, JSON.parse(r.text));
      count++;
    }
    expect(count).toBe(309);
  }, 120_000);
});
