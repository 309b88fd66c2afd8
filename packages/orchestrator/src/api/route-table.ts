/**
 * The API's route table: every route with its method, its path (OpenAPI form, `{id}`) and the
 * permission that guards it. Routes are recorded here as they are registered, so the table is
 * the app's own; the OpenAPI document, the 405 answers and the authorization matrix test all
 * read it.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Permission } from './auth/permissions';

/** One route of the API. */
export interface ApiRoute {
  /** Upper case: `GET`, `POST`, `PATCH`, `DELETE`. */
  readonly method: string;
  /** With the prefix, in OpenAPI form: `/tasker/tasks/{id}`; a mount's subtree ends in `/*`. */
  readonly path: string;
  /** The permission checked, or null for an open route. */
  readonly permission: Permission | null;
}

/** Records routes and compiles their paths for the 405 check. */
export class RouteTable {
  readonly #routes: ApiRoute[] = [];
  readonly #patterns: { method: string; regex: RegExp }[] = [];

  add(route: ApiRoute): void {
    this.#routes.push(Object.freeze({ ...route }));
    const source = route.path
      .split('/')
      .map((segment) =>
        segment === '*'
          ? '.+'
          : /^\{.+\}$/.test(segment)
            ? '[^/]+'
            : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    this.#patterns.push({ method: route.method, regex: new RegExp(`^${source}$`) });
  }

  /** Every route, in registration order. */
  list(): readonly ApiRoute[] {
    return [...this.#routes];
  }

  /** Methods that a path answers to (empty for an unknown path). */
  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const p of this.#patterns) if (p.regex.test(path)) methods.add(p.method);
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  }
}

/** A route definition plus the access rule the registrar applies to it. */
export type GuardedRouteConfig<R extends RouteConfig> = R & { middleware: MiddlewareHandler[] };
