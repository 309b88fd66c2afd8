/**
 * An API over a real HTTP server on 127.0.0.1 (ephemeral port) for the route tests, with a
 * caller that checks every response against the OpenAPI document's schema for its route and
 * status, and every error against the problem shape.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { z } from 'zod';
import {
  type ApiRoute,
  createTaskerApi,
  type RunningServer,
  type TaskerApi,
  type TaskerApiOptions,
} from '../../src/api/index';
import {
  createTasker,
  defineTask,
  PermanentError,
  type TaskDefinition,
  type Tasker,
  type TaskStore,
} from '../../src/index';

/** Definitions the API tests use. */
export function apiTestDefinitions() {
  const checkout = (version: string) =>
    defineTask({
      namespace: 'shop',
      name: 'checkout',
      version,
      description: `checkout ${version}`,
      contextSchema: z.object({ order_id: z.string(), amount: z.number().positive().optional() }),
      steps: [
        {
          name: 'reserve',
          handler: async ({ context }) => ({ reserved: (context as { order_id: string }).order_id }),
        },
        { name: 'charge', dependsOn: ['reserve'], retryLimit: 2, handler: async () => ({ charged: true }) },
        { name: 'notify', dependsOn: ['reserve'], skippable: true, handler: async () => 'sent' },
        { name: 'ship', dependsOn: ['charge', 'notify'], handler: async () => ({ shipped: true }) },
      ],
    });
  const audit = defineTask({
    namespace: 'ops',
    name: 'audit',
    version: '2.0.0',
    steps: [
      { name: 'collect', handler: async () => 1 },
      {
        name: 'verify',
        dependsOn: ['collect'],
        retryable: false,
        handler: async () => {
          throw new PermanentError('ledger mismatch', { code: 'mismatch' });
        },
      },
      { name: 'report', dependsOn: ['verify'], handler: async () => 'ok' },
      { name: 'archive', dependsOn: ['report'], handler: async () => 'archived' },
    ],
  });
  return [checkout('1.0.0'), checkout('1.1.0'), audit];
}

export interface Called {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  /** `body`, read loosely: the assertions on it are the check. */
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
  readonly json: Record<string, any>;
}

export interface ApiHarness {
  readonly api: TaskerApi;
  readonly tasker: Tasker;
  readonly server: RunningServer;
  /** `http://127.0.0.1:<port>/tasker` */
  readonly base: string;
  /** Requests `path` (under the prefix) over HTTP and checks the response against the document. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<Called>;
  /** A worker engine on the same store: runs tasks until `stop`. */
  worker(): Promise<Tasker>;
  close(): Promise<void>;
}

/** Finds the route of a concrete path (`/tasker/tasks/<uuid>` → `/tasker/tasks/{id}`). */
export function routeOf(routes: readonly ApiRoute[], method: string, path: string): ApiRoute | undefined {
  return routes.find((r) => {
    if (r.method !== method) return false;
    const source = r.path
      .split('/')
      .map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : s))
      .join('/');
    return new RegExp(`^${source}$`).test(path);
  });
}

/** A validator of responses against the OpenAPI document's response schemas. */
// biome-ignore lint/suspicious/noExplicitAny: the document is walked by path, checked by Ajv
export function responseChecker(document: Record<string, any>) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  const jsonPointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  return (route: ApiRoute, status: number, contentType: string, body: unknown): void => {
    const operation = document.paths[route.path]?.[route.method.toLowerCase()];
    expect(operation, `operation ${route.method} ${route.path} in the document`).toBeDefined();
    const response = operation.responses[String(status)];
    expect(response, `${route.method} ${route.path} documents status ${status}`).toBeDefined();
    const media = contentType.split(';')[0]?.trim() ?? '';
    if (!media.endsWith('json')) return;
    expect(
      Object.keys(response.content ?? {}),
      `${route.method} ${route.path} ${status} media type`,
    ).toContain(media);
    const pointer = `openapi.json#/paths/${jsonPointer(route.path)}/${route.method.toLowerCase()}/responses/${status}/content/${jsonPointer(media)}/schema`;
    const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
    const ok = validate(body);
    expect(ok, `${route.method} ${route.path} ${status}: ${JSON.stringify(validate.errors)}`).toBe(true);
  };
}

/** Every 4xx/5xx body is a problem: the one error shape. */
export function expectProblem(status: number, contentType: string | null, body: unknown): void {
  expect(contentType).toBe('application/problem+json');
  const p = body as Record<string, unknown>;
  expect(p.type).toBe('about:blank');
  expect(p.status).toBe(status);
  expect(typeof p.title).toBe('string');
  expect(typeof p.code).toBe('string');
  expect(p.code).toMatch(/^[A-Z_]+$/);
  expect(typeof p.detail).toBe('string');
  expect(JSON.stringify(p)).not.toMatch(/\n\s+at /); // no stack trace
  if (p.errors !== undefined) {
    expect(Array.isArray(p.errors)).toBe(true);
    for (const e of p.errors as Record<string, unknown>[]) {
      expect(typeof e.field).toBe('string');
      expect(typeof e.message).toBe('string');
    }
  }
}

export async function startApiHarness(
  store: TaskStore,
  options: Omit<TaskerApiOptions, 'tasker'> = {},
  /** Definitions besides the shared ones, for one test file's cases. */
  extraDefinitions: readonly TaskDefinition[] = [],
): Promise<ApiHarness> {
  const definitions = [...apiTestDefinitions(), ...extraDefinitions];
  const config = { engine: { pollIntervalMs: 20, tickIntervalMs: 10 }, backoff: { jitter: 0 } };
  const tasker = createTasker({ store, tasks: definitions, config, onError: () => {} });
  const api = createTaskerApi({ tasker, ...options });
  const server = await api.listen();
  const base = `${server.url}${api.prefix}`;
  const check = responseChecker(api.openapi());
  const workers: Tasker[] = [];
  return {
    api,
    tasker,
    server,
    base,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const contentType = response.headers.get('content-type') ?? '';
      // A stream stays open: its status and headers are the answer here (event-stream tests read it).
      const streaming = contentType.startsWith('text/event-stream');
      if (streaming) await response.body?.cancel();
      const text = streaming ? '' : await response.text();
      const parsed: unknown =
        text === '' ? undefined : contentType.includes('json') ? JSON.parse(text) : text;
      // A health route's 503 carries its own body (the failing checks, or the status and its reasons).
      const healthAnswer = response.status === 503 && path.startsWith('/health/');
      if (response.status >= 400 && !healthAnswer) expectProblem(response.status, contentType, parsed);
      const route = routeOf(api.routes, method, new URL(`${base}${path}`).pathname);
      if (route !== undefined) check(route, response.status, contentType, parsed);
      return {
        status: response.status,
        headers: response.headers,
        body: parsed,
        json: (parsed ?? {}) as Called['json'],
      };
    },
    async worker() {
      const w = createTasker({ store, tasks: definitions, config, onError: () => {} });
      workers.push(w);
      await w.start();
      return w;
    },
    async close() {
      for (const w of workers) await w.stop();
      await server.close();
      await tasker.stop();
    },
  };
}
