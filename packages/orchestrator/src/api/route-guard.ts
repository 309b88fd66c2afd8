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

function quoted(text: string): string {
  return text.replace(/["\\]/g, "'");
}

/** The principal of a request, or null when authentication is off. */
export function principalOf(c: Context<ApiEnv>): Principal | null {
  return c.get('principal') ?? null;
}

/**
 * Middleware that authenticates the request and checks `permission` (null: authentication
 * only, for routes that need no permission but are not open).
 */
export function guard(
  permission: Permission,
  route: { method: string; path: string },
  authenticate: Authenticator | undefined,
  authorize: AuthorizationCoordinator | undefined,
): MiddlewareHandler<ApiEnv> {
  const { resource, action } = splitPermission(permission);
  return async (c, next) => {
    let principal: Principal | null = null;
    if (authenticate !== undefined) {
      try {
        principal = await authenticate(c.req.raw);
      } catch (error) {
        if (isApiError(error) && error.code === 'INVALID_TOKEN') {
          throw new ApiError('INVALID_TOKEN', `Invalid token: ${error.message}`, {
            headers: {
              'WWW-Authenticate': `${REALM}, error="invalid_token", error_description="${quoted(error.message)}"`,
            },
            cause: error,
          });
        }
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
