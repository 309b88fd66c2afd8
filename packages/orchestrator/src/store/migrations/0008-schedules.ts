/**
 * Migration 8: schedules (issue #14). Number 7 is left to the flow-control part of the same
 * issue; migrations apply in the order of `MIGRATIONS`, each once, whatever their ids.
 *
 * `tasker.schedules`: one row per schedule, by its unique name. It holds what the schedule
 * submits (a task by namespace, name and version, with a context), when (a cron expression in a
 * time zone), what happens to missed slots (`catch_up`, `catch_up_limit`), and the durable record
 * of its firing: `covered_until` (every slot up to this instant has been fired or skipped),
 * `next_at` (the first slot after it: the row is due once the clock passes it; null when the
 * expression never fires again), the last slot fired and its task, and counts.
 *
 * `source` says who wrote the definition: `code` (a task definition's `schedules`, written by
 * the engines that start with it; `definition_version` is the version of the task definition
 * that wrote it, and an engine with an older one leaves the row alone) or `api` (added at run
 * time; never overwritten by code).
 *
 * `schedules_due_idx`: the due rows that are not paused, by `next_at`, for the workers' tick. A
 * new table: nothing to rewrite, no lock held on an existing one.
 */
export const migration0008 = {
  id: 8,
  name: 'schedules',
  sql: `
create table tasker.schedules (
  name text primary key,
  source text not null check (source in ('code', 'api')),
  definition_version text,
  namespace text not null,
  task_name text not null,
  task_version text not null,
  cron text not null,
  timezone text not null,
  context jsonb not null,
  catch_up text not null check (catch_up in ('none', 'latest', 'all')),
  catch_up_limit integer not null check (catch_up_limit > 0),
  paused boolean not null default false,
  covered_until bigint not null,
  next_at bigint,
  last_slot bigint,
  last_task_id uuid,
  fired bigint not null default 0,
  skipped bigint not null default 0,
  last_error text,
  created_at bigint not null,
  updated_at bigint not null,
  updated_by text
);
create index schedules_due_idx on tasker.schedules (next_at) where not paused;
`,
} as const;
