/**
 * Who is calling, and the two plug points of access control: an authenticator turns a request
 * into a principal (or null: not authenticated), and a coordinator decides whether a principal
 * may perform an action on a resource.
 */

/** An authenticated caller. */
export interface Principal {
  /** A stable identifier (the JWT `sub`); recorded as the actor of manual operations. */
  readonly id: string;
  /** What the authenticator knows about the caller (the JWT payload for the built-in one). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Turns a request into a principal, or `null` when it carries no valid credentials. Throwing is
 * also a refusal (401); the message is not sent to the client.
 */
export type Authenticator = (request: Request) => Principal | null | Promise<Principal | null>;

/** What a coordinator is told about the request it decides on. */
export interface AuthorizationContext {
  /** The permission string, `resource:action`. */
  readonly permission: string;
  readonly method: string;
  /** The route pattern, e.g. `/tasker/tasks/{id}`. */
  readonly route: string;
  /** Path parameters (`id`, `stepId`, `namespace`, `name`). */
  readonly params: Readonly<Record<string, string>>;
  readonly request: Request;
}

/**
 * Decides whether `principal` may perform `action` on `resource` (`tasker.task`, `show`).
 * `principal` is null only when authentication is off.
 */
export type AuthorizationCoordinator = (
  principal: Principal | null,
  resource: string,
  action: string,
  context: AuthorizationContext,
) => boolean | Promise<boolean>;
