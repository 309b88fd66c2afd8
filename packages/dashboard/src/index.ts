/**
 * `@tasker/dashboard`: a browser dashboard for Tasker, mounted under the REST API. Today it shows
 * every registered task definition with its DAG, and the trends (charts of the native metrics'
 * history, the analytics); see the README for what is not built yet.
 */
export type { TaskerDashboard, TaskerDashboardOptions } from './create-dashboard';
export { createTaskerDashboard } from './create-dashboard';
export type { TrendsRegistry } from './trends/metrics-history';
export type { FamilyShape, SeriesShape, SnapshotShape } from './trends/snapshot-deltas';
