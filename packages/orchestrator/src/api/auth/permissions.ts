/**
 * The permission strings, `resource:action`: the original Tasker's 18 and ten of this one's,
 * 28 in all. A guarded route needs exactly one of them (each route names its own when it is
 * registered; `TaskerApi.routes` lists them); the `destroy` actions guard no route of this API
 * and stay in the registry for custom coordinators.
 *
 * `tasker.task:index_all` guards no route either: with owner scoping on (`auth.scopeToOwner`), a
 * principal that holds it sees and acts on every task, not only its own.
 * `tasker.retention:index` guards `GET /retention` (the retention policy and its recent runs).
 * `tasker.schedule:*` guard the schedule routes (issue #14): `index` the list, `show` one,
 * `create` adding, `pause` and `resume`, `destroy` removing.
 * `tasker.task:create_many` guards `POST /tasks/batch` (up to 1,000 tasks in one request), apart
 * from `tasker.task:create`, so that a principal may submit one task at a time without being
 * able to submit a thousand in one request.
 * `tasker.events:index` guards `GET /events/stream`, the live event feed (issue #15).
 */

/** Resources of the permission registry. */
export const RESOURCES = Object.freeze({
  task: 'tasker.task',
  workflowStep: 'tasker.workflow_step',
  healthStatus: 'tasker.health_status',
  handler: 'tasker.handler',
  metrics: 'tasker.metrics',
  analytics: 'tasker.analytics',
  retention: 'tasker.retention',
  schedule: 'tasker.schedule',
  events: 'tasker.events',
} as const);

/** Every permission: the original's 18 in its order, then this implementation's own. */
export const PERMISSIONS = Object.freeze([
  'tasker.task:index',
  'tasker.task:show',
  'tasker.task:create',
  'tasker.task:update',
  'tasker.task:destroy',
  'tasker.task:retry',
  'tasker.task:cancel',
  'tasker.workflow_step:index',
  'tasker.workflow_step:show',
  'tasker.workflow_step:update',
  'tasker.workflow_step:destroy',
  'tasker.workflow_step:retry',
  'tasker.workflow_step:cancel',
  'tasker.health_status:index',
  'tasker.handler:index',
  'tasker.handler:show',
  'tasker.metrics:index',
  'tasker.analytics:index',
  'tasker.task:index_all',
  'tasker.retention:index',
  'tasker.schedule:index',
  'tasker.schedule:show',
  'tasker.schedule:create',
  'tasker.schedule:pause',
  'tasker.schedule:resume',
  'tasker.schedule:destroy',
  'tasker.task:create_many',
  'tasker.events:index',
] as const);

/**
 * One of the 28 permission strings: the original's 18, `tasker.task:index_all`,
 * `tasker.retention:index`, the six `tasker.schedule:*`, `tasker.task:create_many` and
 * `tasker.events:index`.
 */
export type Permission = (typeof PERMISSIONS)[number];

/** A permission's resource (`tasker.task`) and action (`index`). */
export function splitPermission(permission: Permission): { resource: string; action: string } {
  const at = permission.indexOf(':');
  return { resource: permission.slice(0, at), action: permission.slice(at + 1) };
}

/** True for one of the 28 permission strings. */
export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}
