/**
 * Registers the API's routes: adds the prefix, attaches the access rule of each route, records
 * it in the route table and its schemas in the OpenAPI registry (through `app.openapi`).
 */
import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Tasker } from '../engine/tasker-types';
import type { Permission } from './auth/permissions';
import type { Authenticator, AuthorizationCoordinator } from './auth/principal';
import { type ApiEnv, guard, type RefusalListener } from './route-guard';
import type { RouteTable } from './route-table';

/** What route modules receive. */
export interface RouteDeps {
  readonly app: OpenAPIHono<ApiEnv>;
  readonly tasker: Tasker;
  readonly prefix: string;
  /** Wall-clock time for responses and analytics windows (epoch ms). */
  readonly now: () => number;
  readonly readyTimeoutMs: number;
  /** Byte budget of a response carrying tasks. */
  readonly maxPageBytes: number;
  /**
   * With owner scoping, the owner whose tasks this request may see (its principal's id), or
   * undefined when it may see every task (scoping off, or it holds `tasker.task:index_all`).
   */
  ownerScope(c: Context<ApiEnv>): Promise<string | undefined>;
  readonly statusRequiresAuth: boolean;
  readonly metricsRequiresAuth: boolean;
  readonly metricsHandler: ((request: Request) => Promise<Response>) | undefined;
  /** Prefixes the path, guards the route with `permission` (null: open) and records it. */
  route<R extends RouteConfig>(permission: Permission | null, config: R): R;
}

export function createRegistrar(
  table: RouteTable,
  prefix: string,
  authenticate: Authenticator | undefined,
  authorize: AuthorizationCoordinator | undefined,
  onRefused: RefusalListener,
  bodyChecks: readonly MiddlewareHandler[],
): RouteDeps['route'] {
  const guarded = authenticate !== undefined || authorize !== undefined;
  return (permission, config) => {
    const path = `${prefix}${config.path}`;
    const method = config.method.toUpperCase();
    table.add({ method, path, permission });
    // Authentication first; only then is a body read (and checked).
    const middleware = [
      ...(permission === null || !guarded
        ? []
        : [guard(permission, { method, path }, authenticate, authorize, onRefused)]),
      ...(config.request?.body === undefined ? [] : bodyChecks),
    ];
    return {
      ...config,
      path,
      middleware,
      ...(permission !== null && authenticate !== undefined ? { security: [{ bearerAuth: [] }] } : {}),
      ...(permission === null ? {} : { 'x-tasker-permission': permission }),
    };
  };
}
