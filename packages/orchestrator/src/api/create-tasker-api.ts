/**
 * `createTaskerApi`: the REST API of a Tasker engine as a web-standard app. It answers
 * `fetch(request)`, so it mounts in node:http (`nodeHandler`, `listen`), Express, Fastify or
 * any fetch-style server. Routes, schemas and the OpenAPI document come from one set of zod
 * schemas; errors become problem responses in one place (`./problem.ts`).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { Tasker } from '../engine/tasker-types';
import { TaskerError } from '../errors';
import { MAX_STORED_DEPTH } from '../store/storable';
import { DEFAULT_PAGE_BYTES } from '../store/task-reads';
import { ApiError } from './api-error';
import { createClaimsCoordinator } from './auth/claims-coordinator';
import type { Authenticator, AuthorizationCoordinator } from './auth/principal';
import { limitBody, limitDeclaredBody, requireJsonBody } from './body-limit';
import { type EventStreamOptions, EventStreams, eventStreamOptions } from './event-stream';
import { DEFAULT_MAX_JSON_DEPTH, limitJsonDepth } from './json-depth';
import { createMounter, type MountHandler, type MountOptions } from './mounted-routes';
import {
  listen,
  type NodeListener,
  type RunningServer,
  type ServerLimits,
  toNodeListener,
} from './node-server';
import { fieldErrorsFromZod, problemFor } from './problem';
import { createRegistrar, type RouteDeps } from './registrar';
import { type ApiEnv, principalOf, warnRefusals } from './route-guard';
import { type ApiRoute, RouteTable } from './route-table';
import { registerAnalyticsRoutes } from './routes/analytics-routes';
import { registerEventRoutes } from './routes/event-routes';
import { registerHandlerRoutes } from './routes/handler-routes';
import { registerHealthRoutes } from './routes/health-routes';
import { registerMetaRoutes } from './routes/meta-routes';
import { registerRetentionRoutes } from './routes/retention-routes';
import { registerScheduleRoutes } from './routes/schedule-routes';
import { registerStepRoutes } from './routes/step-routes';
import { registerTaskBatchRoutes } from './routes/task-batch-routes';
import { registerTaskRoutes } from './routes/task-routes';
import { PROBLEM_MEDIA_TYPE } from './schemas/common';

/** Access control of the API. Off by default, as in the original. */
export interface TaskerApiAuthOptions {
  /** Turns a request into a principal or null (401). See `createJwtAuthenticator`. */
  readonly authenticate?: Authenticator;
  /**
   * Decides each route's permission (403 when it says no). With `authenticate` and no
   * `authorize`, the claims coordinator (`createClaimsCoordinator()`) decides: a valid token
   * alone grants nothing. `'none'` lets every authenticated caller do everything.
   */
  readonly authorize?: AuthorizationCoordinator | 'none';
  /**
   * Hears why credentials were refused (the client only gets "the token was refused").
   * Default: `console.warn`, at most one line every 10 s.
   */
  readonly onRefusedToken?: (reason: string, request: Request) => void;
  /**
   * Owner scoping: a principal sees and acts on only the tasks it submitted (their `owner`, its
   * token subject), unless it holds `tasker.task:index_all`. Another's task is answered as not
   * found. Analytics and `/health/status` still count every task. Needs `authenticate`.
   * Default false.
   */
  readonly scopeToOwner?: boolean;
  /** `/health/status` needs authentication and `tasker.health_status:index`. Default true. */
  readonly healthStatusRequiresAuth?: boolean;
  /** `/metrics` needs authentication and `tasker.metrics:index`. Default true. */
  readonly metricsRequiresAuth?: boolean;
}

/** Options of {@link createTaskerApi}. The API takes objects only: `loadConfig` is the CLI's business. */
export interface TaskerApiOptions {
  readonly tasker: Tasker;
  readonly auth?: TaskerApiAuthOptions;
  /** Mount prefix. Default `/tasker`; `''` mounts at the root. */
  readonly prefix?: string;
  /** Serves `GET /metrics` (e.g. `@tasker/exporter-prometheus`'s handler). Without it there is no such route. */
  readonly metricsHandler?: (request: Request) => Promise<Response>;
  /** Largest request body, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Deepest nesting of a JSON request body (objects and arrays inside one another), checked on
   * the raw text before it is parsed; deeper bodies get a 400. Default 64, at most 512 (the
   * deepest JSON value the store accepts).
   */
  readonly maxJsonDepth?: number;
  /**
   * Byte budget of a response carrying tasks (JSON text): a list page ends early, with a
   * `next_cursor`, and a task's details leave out the values that do not fit (named in
   * `omitted`). Default 4 MiB, at least 64 KiB.
   */
  readonly maxPageBytes?: number;
  /** How long `/health/ready` waits for the store, ms. Default 2000. */
  readonly readyTimeoutMs?: number;
  /** Wall clock for response times and analytics windows. Default `Date.now`. */
  readonly now?: () => number;
  /** Hears every unexpected (500) error; the client only gets "internal error". Default `console.error`. */
  readonly onError?: (error: unknown, request: Request) => void;
  /** The live event feed, `GET /events/stream`: how often it reads the audit, heartbeats, page size. */
  readonly events?: EventStreamOptions;
}

/** The API. */
export interface TaskerApi {
  /** Answers a web-standard request. */
  fetch(request: Request): Promise<Response>;
  /** A node:http request listener: `http.createServer(api.nodeHandler)`. */
  readonly nodeHandler: NodeListener;
  /** Serves the API on node:http. Default `127.0.0.1`, an ephemeral port. */
  listen(options?: { port?: number; hostname?: string } & ServerLimits): Promise<RunningServer>;
  /** Every route with its method, path and permission (mounted ones too). */
  readonly routes: readonly ApiRoute[];
  /**
   * Mounts a handler on `path` under the prefix (and everything below it), with the API's
   * authentication, permission check and problem answers: a handler that throws gives the same
   * 500 (or an `ApiError`'s own status) as a route of the API. Call it before the API serves.
   *
   * @throws TaskerError `CONFIG_INVALID` for a bad path or option, a path that overlaps a route,
   *   or a mount after the API answered its first request.
   * @example
   * ```ts
   * const api = createTaskerApi({ tasker, auth });
   * api.mount('/ui', (request, { subpath }) => serveAsset(subpath)); // open: static assets
   * api.mount('/ui-feed', feed, { permission: 'tasker.events:index' }); // 401/403 as the API's routes
   * ```
   */
  mount(path: string, handler: MountHandler, options?: MountOptions): void;
  readonly prefix: string;
  /** The OpenAPI 3.1 document (what `GET <prefix>/openapi.json` returns). */
  openapi(): Record<string, unknown>;
  /**
   * Ends every open event stream (`GET /events/stream`) and refuses new ones (503), so that a
   * server can close: node's `server.close()` waits for open responses. The server of
   * `listen()` calls it when it closes.
   */
  close(): Promise<void>;
}

/**
 * The coordinator that decides permissions: the one given; the claims coordinator when only an
 * authenticator is given (a valid token alone grants nothing); none for `'none'` or without
 * authentication.
 */
export function authorizationOf(
  auth: TaskerApiAuthOptions | undefined,
): AuthorizationCoordinator | undefined {
  if (auth?.authorize === 'none') return undefined;
  if (auth?.authorize !== undefined) return auth.authorize;
  return auth?.authenticate === undefined ? undefined : createClaimsCoordinator();
}

function normalisePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  if (!/^\/[A-Za-z0-9._~\-/]*[^/]$/.test(prefix)) {
    throw new TaskerError(
      'CONFIG_INVALID',
      `prefix: expected a path such as "/tasker" (no trailing slash), received ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/**
 * Makes the REST API of an engine.
 *
 * @example
 * ```ts
 * import { createTasker } from '@tasker/orchestrator';
 * import { createTaskerApi } from '@tasker/orchestrator/api';
 *
 * const tasker = createTasker({ tasks: [checkout] });
 * await tasker.start();
 * const api = createTaskerApi({ tasker });
 * const server = await api.listen({ port: 3000 });
 * console.log(`${server.url}/tasker/docs`);
 * ```
 */
export function createTaskerApi(options: TaskerApiOptions): TaskerApi {
  const prefix = normalisePrefix(options.prefix ?? '/tasker');
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  if (!Number.isInteger(maxJsonDepth) || maxJsonDepth < 1 || maxJsonDepth > MAX_STORED_DEPTH) {
    throw new TaskerError(
      'CONFIG_INVALID',
      `maxJsonDepth: expected an integer from 1 to ${MAX_STORED_DEPTH}, received ${String(maxJsonDepth)}`,
    );
  }
  const maxPageBytes = options.maxPageBytes ?? DEFAULT_PAGE_BYTES;
  if (!Number.isInteger(maxPageBytes) || maxPageBytes < 65_536) {
    throw new TaskerError(
      'CONFIG_INVALID',
      `maxPageBytes: expected an integer of at least 65536 (64 KiB), received ${String(maxPageBytes)}`,
    );
  }
  const scopeToOwner = options.auth?.scopeToOwner === true;
  if (scopeToOwner && options.auth?.authenticate === undefined) {
    throw new TaskerError(
      'CONFIG_INVALID',
      'auth.scopeToOwner: needs auth.authenticate (a task is owned by the token subject that submitted it)',
    );
  }
  const authorize = authorizationOf(options.auth);
  const streamOptions = eventStreamOptions(options.events);
  const streams = new EventStreams();
  const onError =
    options.onError ??
    ((error: unknown, request: Request) =>
      console.error(`[tasker api] ${request.method} ${new URL(request.url).pathname}:`, error));
  const table = new RouteTable();
  let served = false;
  const onRefused = options.auth?.onRefusedToken ?? warnRefusals();

  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const errors = fieldErrorsFromZod(result.error.issues);
      const where = result.target === 'json' ? 'body' : result.target === 'param' ? 'path' : result.target;
      throw new ApiError(
        'VALIDATION_FAILED',
        `Invalid request ${where}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
        { errors },
      );
    },
  });

  // A declared length over the cap is refused before anything is read; the rest of the body
  // checks run per route, after authentication.
  app.use('*', limitDeclaredBody(maxBodyBytes));

  const deps: RouteDeps = {
    app,
    tasker: options.tasker,
    prefix,
    now: options.now ?? Date.now,
    readyTimeoutMs: options.readyTimeoutMs ?? 2_000,
    maxPageBytes,
    ownerScope: async (c) => {
      const principal = principalOf(c);
      if (!scopeToOwner || principal === null) return undefined;
      const all =
        authorize !== undefined &&
        (await authorize(principal, 'tasker.task', 'index_all', {
          permission: 'tasker.task:index_all',
          method: c.req.method,
          route: c.req.routePath,
          params: c.req.param() as Record<string, string>,
          request: c.req.raw,
        })) === true;
      return all ? undefined : principal.id;
    },
    statusRequiresAuth: options.auth?.healthStatusRequiresAuth ?? true,
    metricsRequiresAuth: options.auth?.metricsRequiresAuth ?? true,
    metricsHandler: options.metricsHandler,
    route: createRegistrar(table, prefix, options.auth?.authenticate, authorize, onRefused, [
      requireJsonBody(),
      limitBody(maxBodyBytes),
      limitJsonDepth(maxJsonDepth),
    ]),
  };

  let document: Record<string, unknown> | undefined;
  const openapi = (): Record<string, unknown> => {
    if (options.auth?.authenticate !== undefined) {
      app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
      });
    }
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Tasker API',
        version: '1.0.0',
        description:
          'Tasks, workflow steps, handler discovery, health, analytics, retention and schedules of a Tasker orchestrator. ' +
          'JSON is snake_case; errors are application/problem+json with a stable code.',
      },
    }) as unknown as Record<string, unknown>;
    return document;
  };

  registerHealthRoutes(deps);
  registerHandlerRoutes(deps);
  registerTaskRoutes(deps);
  registerTaskBatchRoutes(deps);
  registerStepRoutes(deps);
  registerAnalyticsRoutes(deps);
  registerRetentionRoutes(deps);
  registerScheduleRoutes(deps);
  registerEventRoutes(deps, streams, streamOptions, onError);
  registerMetaRoutes(deps, openapi);

  const problemResponse = (error: unknown, request: Request): Response => {
    const mapped =
      error instanceof HTTPException && !(error.status >= 500)
        ? new ApiError(
            error.status === 415
              ? 'UNSUPPORTED_MEDIA_TYPE'
              : error.status === 413
                ? 'PAYLOAD_TOO_LARGE'
                : 'INVALID_JSON',
            error.status === 415
              ? 'The request body must be application/json'
              : error.status === 413
                ? `The request body is larger than ${maxBodyBytes} bytes`
                : 'The request body is not valid JSON',
          )
        : error;
    const problem = problemFor(mapped, (e) => onError(e, request));
    return new Response(JSON.stringify(problem.body), {
      status: problem.status,
      headers: { 'Content-Type': PROBLEM_MEDIA_TYPE, ...problem.headers },
    });
  };

  app.onError((error, c) => problemResponse(error, c.req.raw));
  app.notFound((c) => {
    const methods = table.methodsFor(c.req.path);
    const error =
      methods.length > 0
        ? new ApiError(
            'METHOD_NOT_ALLOWED',
            `${c.req.method} is not allowed here; allowed: ${methods.join(', ')}`,
            {
              headers: { Allow: methods.join(', ') },
            },
          )
        : new ApiError('ROUTE_NOT_FOUND', `No route ${c.req.method} ${c.req.path}`);
    return problemResponse(error, c.req.raw);
  });

  const mount = createMounter({
    app,
    table,
    prefix,
    authenticate: options.auth?.authenticate,
    authorize,
    onRefused,
    served: () => served,
    ownerScope: deps.ownerScope,
  });

  const fetch = async (request: Request): Promise<Response> => {
    served = true;
    try {
      return await app.fetch(request);
    } catch (error) {
      // Hono routes errors to onError; this catches what escapes it (a malformed URL).
      return problemResponse(error, request);
    }
  };
  const nodeHandler = toNodeListener(fetch);
  return {
    fetch,
    nodeHandler,
    listen: async ({ port, hostname, ...limits } = {}) => {
      const server = await listen(nodeHandler, port ?? 0, hostname ?? '127.0.0.1', limits);
      return {
        ...server,
        close: () => {
          streams.close();
          return server.close();
        },
      };
    },
    get routes() {
      return table.list();
    },
    mount,
    prefix,
    openapi,
    close: async () => streams.close(),
  };
}
