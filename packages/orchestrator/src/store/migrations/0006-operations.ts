/**
 * Migration 6: what running Tasker for months needs (issue #13).
 *
 * - `tasker.identity_windows`: identity keys that deduplicate for a window only (the `hash`
 *   strategy). A key's row names the task that holds it and when the hold ends; a submit after
 *   that takes the key over for a new task. Custom `identity_key`s stay in `tasks.identity_key`
 *   under its unique index, for ever. The rows go with their task (`on delete cascade`), and the
 *   retention sweep removes expired ones.
 * - `tasks_finished_idx`: finished tasks by state and creation time, for the retention sweep
 *   (a task finishes after it is created, so one finished before a cutoff was created before
 *   it). Partial: running tasks are not in it, and a task enters it once, when it finishes.
 * - `transitions_created_brin`: a BRIN index on the audit's creation time, for the time-windowed
 *   counts of `/health/status`. The audit is appended in time order, so a block range summary
 *   finds a recent window in a few pages, and it costs writes almost nothing (no per-row entry).
 * - `tasker.transitions_archive`: where the sweep moves the audit of a deleted task when the
 *   policy says `archive: true`, with the task's name and final state beside each row.
 * - `tasker.retention_runs`: each sweep's figures, for `GET /retention` and the CLI.
 *
 * The two indexes on existing tables are built inside the migration's transaction, which blocks
 * writes to `tasker.tasks` and `tasker.transitions` while they build (one scan of each; seconds
 * for millions of rows), as migration 2 explains: `create index concurrently` cannot run in a
 * transaction, and the migration runs under one advisory lock so that concurrent starts apply it
 * once.
 */
export const migration0006 = {
  id: 6,
  name: 'operations',
  sql: `
create table tasker.identity_windows (
  key text primary key,
  task_id uuid not null references tasker.tasks (id) on delete cascade,
  created_at bigint not null,
  expires_at bigint not null
);
create index identity_windows_task_idx on tasker.identity_windows (task_id);
create index identity_windows_expiry_idx on tasker.identity_windows (expires_at);

create index tasks_finished_idx on tasker.tasks (state, created_at, id)
  where state in ('complete', 'error', 'cancelled', 'resolved_manually');

create index transitions_created_brin on tasker.transitions using brin (created_at);

create table tasker.transitions_archive (
  id bigint primary key,
  task_id uuid not null,
  step_id uuid,
  step_name text,
  from_state text,
  to_state text not null,
  reason text,
  metadata jsonb not null,
  created_at bigint not null,
  namespace text not null,
  task_name text not null,
  version text not null,
  task_state text not null,
  archived_at bigint not null
);
create index transitions_archive_task_idx on tasker.transitions_archive (task_id, id);
create index transitions_archive_created_brin on tasker.transitions_archive using brin (archived_at);

create table tasker.retention_runs (
  id bigint generated always as identity primary key,
  started_at bigint not null,
  finished_at bigint not null,
  dry_run boolean not null,
  worker_id text not null,
  tasks integer not null,
  transitions integer not null,
  archived integer not null,
  identity_keys integer not null,
  batches integer not null,
  complete boolean not null,
  by_rule jsonb not null,
  error text
);
`,
} as const;
