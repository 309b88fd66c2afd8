/**
 * Access control per route: authentication (when an authenticator is configured), then
 * authorization of the route's permission (when a coordinator is configured). Failures throw
 * `ApiError`s; `./problem.ts` gives them their status and body.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ApiError, isApiError } from './api-error';
import { type Permission, splitPermission } from './auth/permissions';
import type { Authenticator, AuthorizationCoordinator, Principal } from './auth/principal';

/** Hono variables the API sets. */
export interface ApiEnv {
  Variables: { principal: Principal | null };
}

const REALM = 'Bearer realm="tasker"';

/** The principal of a request, or null when authentication is off. */
export function principalOf(c: Context<ApiEnv>): Principal | null {
  return c.get('principal') ?? null;
}

/** Hears why a request's credentials were refused; the client is told only that they were. */
export type RefusalListener = (reason: string, request: Request) => void;

/**
 * The default {@link RefusalListener}: `console.warn`, at most one line every 10 s (with the
 * number of refusals it did not print), so that a flood of bad tokens cannot flood the log.
 */
export function warnRefusals(every = 10_000, now: () => number = Date.now): RefusalListener {
  let last = Number.NEGATIVE_INFINITY;
  let quiet = 0;
  return (reason, request) => {
    const at = now();
    if (at - last < every) {
      quiet++;
      return;
    }
    const more = quiet === 0 ? '' : ` (and ${quiet} more since the last line)`;
    console.warn(
      `[tasker api] credentials refused, ${request.method} ${new URL(request.url).pathname}: ${reason}${more}`,
    );
    last = at;
    quiet = 0;
  };
}

/**
 * Middleware that authenticates the request and checks `permission` (null: authentication
 * only, for routes that need no permission but are not open). Why a token was refused goes to
 * `onRefused`, never to the client.
 */
export function guard(
  permission: Permission,
  route: { method: string; path: string },
  authenticate: Authenticator | undefined,
  authorize: AuthorizationCoordinator | undefined,
  onRefused: RefusalListener,
): MiddlewareHandler<ApiEnv> {
  const { resource, action } = splitPermission(permission);
  return async (c, next) => {
    let principal: Principal | null = null;
    if (authenticate !== undefined) {
      try {
        principal = await authenticate(c.req.raw);
      } catch (error) {
        if (isApiError(error) && error.code === 'INVALID_TOKEN') {
          onRefused(error.message, c.req.raw);
          throw new ApiError('INVALID_TOKEN', 'Invalid token: the token was refused', {
            headers: { 'WWW-Authenticate': `${REALM}, error="invalid_token"` },
            cause: error,
          });
        }
        onRefused(`the authenticator failed: ${String((error as Error)?.message ?? error)}`, c.req.raw);
        throw new ApiError('UNAUTHENTICATED', 'Authentication failed', {
          headers: { 'WWW-Authenticate': REALM },
          cause: error,
        });
      }
      if (principal === null) {
        throw new ApiError(
          'UNAUTHENTICATED',
          'Authentication required: send "Authorization: Bearer <token>"',
          {
            headers: { 'WWW-Authenticate': REALM },
          },
        );
      }
      c.set('principal', principal);
    }
    if (authorize !== undefined) {
      const allowed = await authorize(principal, resource, action, {
        permission,
        method: route.method,
        route: route.path,
        params: c.req.param() as Record<string, string>,
        request: c.req.raw,
      });
      if (allowed !== true) {
        throw new ApiError(
          'FORBIDDEN',
          `Permission "${permission}" is required for ${route.method} ${route.path}`,
        );
      }
    }
    await next();
  };
}
