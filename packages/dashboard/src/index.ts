/**
 * `@tasker/dashboard`: a browser dashboard for Tasker, mounted under the REST API. Today it shows
 * every registered task definition with its DAG; see the README for what is not built yet.
 */
export type { TaskerDashboard, TaskerDashboardOptions } from './create-dashboard';
export { createTaskerDashboard } from './create-dashboard';
