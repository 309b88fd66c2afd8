/**
 * Extra routes mounted on the API (`api.mount`): a path under the API's prefix, and everything
 * below it, answered by a fetch-style handler, with the API's authentication, permission check
 * and error handling. A package such as a dashboard serves its static assets open and a stream
 * behind a permission this way, without a server of its own.
 *
 * Mounts are added while the API is being set up: Hono compiles its routes on the first request
 * it answers, so a mount after that is refused with `CONFIG_INVALID` rather than silently lost.
 * Mounted routes are in `api.routes` (so the 405 answers and the authorization tests see them),
 * not in the OpenAPI document: their bodies are theirs to describe.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { TaskerError } from '../errors';
import { isPermission, type Permission } from './auth/permissions';
import type { Authenticator, AuthorizationCoordinator, Principal } from './auth/principal';
import { type ApiEnv, guard, principalOf, type RefusalListener } from './route-guard';
import type { RouteTable } from './route-table';

/** What a mounted handler is told besides the request. */
export interface MountContext {
  /** The authenticated caller; null when authentication is off or the mount is open. */
  readonly principal: Principal | null;
  /** The request's path below the mount: `''` for the mount itself, else `/assets/app.js`. */
  readonly subpath: string;
  /** The mount's full path, with the API's prefix: `/tasker/ui`. */
  readonly mountPath: string;
  /**
   * With owner scoping (`auth.scopeToOwner`), the owner whose tasks this caller may see (its
   * principal's id, unless it holds `tasker.task:index_all`); undefined when the caller may see
   * every task. A mount that serves task data (a live feed) filters by it as the API's routes do.
   */
  readonly owner: string | undefined;
}

/** Answers a request to a mounted path. Throwing (or rejecting) gives the API's problem answer. */
export type MountHandler = (request: Request, context: MountContext) => Response | Promise<Response>;

/** Options of `api.mount`. */
export interface MountOptions {
  /**
   * The permission every request needs (with `auth`, a token too), as the API's routes do:
   * 401 without valid credentials, 403 without the permission. Default: none, the mount is open.
   */
  readonly permission?: Permission;
  /** Methods it answers (`HEAD` comes with `GET`). Default `['GET']`; others get a 405. */
  readonly methods?: readonly string[];
}

const MOUNT_PATH = /^\/[A-Za-z0-9._~\-/]*[^/]$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What mounting needs from the API. */
export interface MountDeps {
  readonly app: OpenAPIHono<ApiEnv>;
  readonly table: RouteTable;
  readonly prefix: string;
  readonly authenticate: Authenticator | undefined;
  readonly authorize: AuthorizationCoordinator | undefined;
  readonly onRefused: RefusalListener;
  /** True once the API has answered a request: its routes are compiled. */
  readonly served: () => boolean;
  /** The owner a request is scoped to (see {@link MountContext.owner}). */
  readonly ownerScope: (c: Context<ApiEnv>) => Promise<string | undefined>;
}

/** Makes `api.mount`. */
export function createMounter(
  deps: MountDeps,
): (path: string, handler: MountHandler, options?: MountOptions) => void {
  const guarded = deps.authenticate !== undefined || deps.authorize !== undefined;
  return (path, handler, options = {}) => {
    if (deps.served()) {
      throw new TaskerError(
        'CONFIG_INVALID',
        `mount("${path}"): the API has already answered a request; mount routes before serving`,
      );
    }
    if (typeof path !== 'string' || !MOUNT_PATH.test(path) || path.includes('//')) {
      throw new TaskerError(
        'CONFIG_INVALID',
        `mount path: expected a path such as "/ui" (no trailing slash), received ${JSON.stringify(path)}`,
      );
    }
    if (typeof handler !== 'function') {
      throw new TaskerError('CONFIG_INVALID', `mount("${path}") handler: expected a function`);
    }
    const permission = options.permission;
    if (permission !== undefined && !isPermission(permission)) {
      throw new TaskerError(
        'CONFIG_INVALID',
        `mount("${path}") permission: expected one of the API's permissions (PERMISSIONS), received ${JSON.stringify(permission)}`,
      );
    }
    const methods = [...new Set((options.methods ?? ['GET']).map((m) => String(m).toUpperCase()))];
    const unknown = methods.find((m) => !METHODS.has(m));
    if (methods.length === 0 || unknown !== undefined) {
      throw new TaskerError(
        'CONFIG_INVALID',
        `mount("${path}") methods: expected some of ${[...METHODS].join(', ')}, received ${JSON.stringify(options.methods)}`,
      );
    }
    const mountPath = `${deps.prefix}${path}`;
    const taken = deps.table
      .list()
      .find(
        (r) =>
          r.path === mountPath || r.path.startsWith(`${mountPath}/`) || mountPath.startsWith(`${r.path}/`),
      );
    if (taken !== undefined) {
      throw new TaskerError(
        'CONFIG_INVALID',
        `mount("${path}"): ${mountPath} overlaps the route ${taken.method} ${taken.path}`,
      );
    }

    const patterns = [mountPath, `${mountPath}/*`];
    for (const method of methods) {
      for (const p of [mountPath, `${mountPath}/*`])
        deps.table.add({ method, path: p, permission: permission ?? null });
    }
    const answer: MiddlewareHandler<ApiEnv> = async (c) =>
      handler(c.req.raw, {
        principal: principalOf(c),
        subpath: c.req.path.slice(mountPath.length),
        mountPath,
        owner: await deps.ownerScope(c),
      });
    for (const method of methods) {
      const chain: MiddlewareHandler<ApiEnv>[] =
        permission === undefined || !guarded
          ? []
          : [
              guard(
                permission,
                { method, path: mountPath },
                deps.authenticate,
                deps.authorize,
                deps.onRefused,
              ),
            ];
      deps.app.on(method, patterns, ...chain, answer);
    }
  };
}
