/**
 * Migration 5: who submitted a task, apart from what the client said.
 *
 * - `tasks.owner`: the authenticated principal (a token's subject) that submitted the task
 *   through the API, never taken from the request body; null without authentication or when
 *   the engine is called directly.
 * - `tasks.requested_initiator`: the `initiator` a client sent while authenticated, kept apart:
 *   `initiator` is then the principal's subject.
 *
 * Two nullable columns without defaults: adding them rewrites nothing and holds the table's lock
 * for an instant, and rows written by earlier versions read as null.
 */
export const migration0005 = {
  id: 5,
  name: 'task-principal',
  sql: `
alter table tasker.tasks add column owner text;
alter table tasker.tasks add column requested_initiator text;
`,
} as const;
