/**
 * `@tasker/orchestrator/api`: the REST API (hono, zod schemas, OpenAPI 3.1, Swagger UI),
 * authentication (pluggable, JWT built in) and authorization (the original's 18 permissions and two more, see `PERMISSIONS`).
 * A separate entry point, so programs that serve no HTTP never load hono or jose.
 */
export type { ApiErrorCode, FieldError } from './api-error';
export { ApiError, isApiError } from './api-error';
export type { ClaimsCoordinatorOptions } from './auth/claims-coordinator';
export { createClaimsCoordinator } from './auth/claims-coordinator';
export type { JwtAuthenticatorOptions } from './auth/jwt-authenticator';
export { createJwtAuthenticator } from './auth/jwt-authenticator';
export type { Permission } from './auth/permissions';
export { isPermission, PERMISSIONS, RESOURCES } from './auth/permissions';
export type {
  Authenticator,
  AuthorizationContext,
  AuthorizationCoordinator,
  Principal,
} from './auth/principal';
export type { TaskerApi, TaskerApiAuthOptions, TaskerApiOptions } from './create-tasker-api';
export { createTaskerApi } from './create-tasker-api';
export type { EventStreamOptions } from './event-stream';
export type { DependencyGraph, GraphStep } from './graph/dependency-graph';
export { dependencyGraph } from './graph/dependency-graph';
export type { CriticalPath, CriticalSpan, RuntimeAnalysis } from './graph/runtime-analysis';
export { analyseTask } from './graph/runtime-analysis';
export type { MountContext, MountHandler, MountOptions } from './mounted-routes';
export type { NodeListener, RunningServer, ServerLimits } from './node-server';
export type { Problem } from './problem';
export { STATUS_BY_CODE } from './problem';
export type { ApiRoute } from './route-table';
