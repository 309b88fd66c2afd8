import type { AuthorizationCoordinator } from './principal';

/** Options of {@link createClaimsCoordinator}. */
export interface ClaimsCoordinatorOptions {
  /** The claim holding the granted permission strings (an array, or a space-separated string). Default `permissions`. */
  readonly permissionsClaim?: string;
  /** The claim holding the caller's roles (an array or a space-separated string). Default `roles`. */
  readonly rolesClaim?: string;
  /** A role granted every permission. Default `admin`; `null` disables it. */
  readonly adminRole?: string | null;
}

function stringsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return value.split(/\s+/).filter((v) => v.length > 0);
  return [];
}

/**
 * The built-in coordinator: allows an action when the principal's permissions claim lists
 * `resource:action` exactly, or when its roles claim holds the admin role. Without a principal
 * it denies.
 *
 * @example
 * ```ts
 * // A token with { "sub": "ops-1", "permissions": ["tasker.task:index", "tasker.task:show"] }
 * const api = createTaskerApi({
 *   tasker,
 *   auth: { authenticate: createJwtAuthenticator({ secret }), authorize: createClaimsCoordinator() },
 * });
 * ```
 */
export function createClaimsCoordinator(options: ClaimsCoordinatorOptions = {}): AuthorizationCoordinator {
  const permissionsClaim = options.permissionsClaim ?? 'permissions';
  const rolesClaim = options.rolesClaim ?? 'roles';
  const adminRole = options.adminRole === undefined ? 'admin' : options.adminRole;
  return (principal, resource, action) => {
    if (principal === null) return false;
    if (adminRole !== null && stringsOf(principal.claims[rolesClaim]).includes(adminRole)) return true;
    return stringsOf(principal.claims[permissionsClaim]).includes(`${resource}:${action}`);
  };
}
