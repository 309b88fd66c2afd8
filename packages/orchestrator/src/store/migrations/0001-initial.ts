/**
 * Migration 1: tasks, steps, dependency edges and the transition history.
 *
 * Migrations are plain SQL in numbered modules (a template string, not a `.sql` file, so the
 * same source runs under tsup, vitest and tsx without a loader). They are forward-only.
 * Times are epoch milliseconds (`bigint`) taken from the engine's clock, never `now()`, so
 * every comparison uses the same clock as the engine.
 */
export const migration0001 = {
  id: 1,
  name: 'initial',
  sql: `
create table tasker.tasks (
  id uuid primary key,
  namespace text not null,
  name text not null,
  version text not null,
  state text not null,
  context jsonb not null,
  initiator text,
  source_system text,
  reason text,
  tags text[] not null default '{}',
  annotations jsonb not null default '{}',
  identity_key text,
  trace_context jsonb,
  bypass_steps text[] not null default '{}',
  unfinished_steps integer not null,
  created_at bigint not null,
  updated_at bigint not null,
  completed_at bigint
);
create unique index tasks_identity_key_idx on tasker.tasks (identity_key) where identity_key is not null;
create index tasks_listing_idx on tasker.tasks (namespace, name, state, created_at desc);
create index tasks_created_idx on tasker.tasks (created_at desc, id);
create index tasks_tags_idx on tasker.tasks using gin (tags);
create index tasks_annotations_idx on tasker.tasks using gin (annotations);

create table tasker.steps (
  id uuid primary key,
  task_id uuid not null references tasker.tasks (id) on delete cascade,
  name text not null,
  handler text not null,
  position integer not null,
  state text not null,
  retryable boolean not null,
  retry_limit integer not null,
  attempts integer not null default 0,
  timeout_ms integer,
  skippable boolean not null,
  inputs jsonb not null,
  results jsonb,
  error jsonb,
  -- Parents not yet complete, resolved or skipped; the step is ready at 0.
  pending_parents integer not null,
  -- When the step may be claimed: pending and ready, waiting_for_retry at next_attempt_at,
  -- in_progress at lease expiry (another worker takes it over). Null otherwise.
  ready_at bigint,
  next_attempt_at bigint,
  lease_owner text,
  lease_expires_at bigint,
  -- Fencing token: bumped by every claim; a completion must present the current one.
  lease_token bigint not null default 0,
  started_at bigint,
  ended_at bigint,
  created_at bigint not null,
  unique (task_id, name)
);
create index steps_ready_idx on tasker.steps (ready_at, id) where ready_at is not null;

create table tasker.step_edges (
  task_id uuid not null references tasker.tasks (id) on delete cascade,
  parent_id uuid not null references tasker.steps (id) on delete cascade,
  child_id uuid not null references tasker.steps (id) on delete cascade,
  primary key (parent_id, child_id)
);
create index step_edges_child_idx on tasker.step_edges (child_id);

create table tasker.transitions (
  id bigserial primary key,
  task_id uuid not null references tasker.tasks (id) on delete cascade,
  step_id uuid references tasker.steps (id) on delete cascade,
  step_name text,
  from_state text,
  to_state text not null,
  reason text,
  metadata jsonb not null default '{}',
  created_at bigint not null
);
create index transitions_task_idx on tasker.transitions (task_id, id);
create index transitions_step_idx on tasker.transitions (step_id, id) where step_id is not null;
`,
} as const;
