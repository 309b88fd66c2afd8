import { sql } from './query';

/**
 * The finished tasks a retention rule removes: in state `$1`, created and finished before the
 * cutoff `$2` (a task finishes after it is created, so `tasks_finished_idx` bounds the walk by
 * creation time), in namespace `$3` (null: any) but none of `$4` (namespaces with a rule of
 * their own for this state). Shared by the sweep and its dry run.
 */
const DOOMED = `
  select t.id, t.namespace, t.name, t.version, t.state
  from tasker.tasks t
  where t.state = $1::text and t.created_at < $2::bigint and coalesce(t.completed_at, t.updated_at) < $2::bigint
    and ($3::text is null or t.namespace = $3::text) and not (t.namespace = any($4::text[]))`;

/** Takes the sweep's advisory lock for this transaction, if no other sweep holds it. */
export const tryRetentionLock = sql(
  'retention_try_lock',
  'select pg_try_advisory_xact_lock($1::bigint) as locked',
);

/**
 * Bounds each statement of this transaction (ms), and plans them for their values: after five
 * executions PostgreSQL may keep a generic plan of the batch, which cannot use
 * `tasks_finished_idx` for an unknown state and cutoff and scans and sorts every due task at
 * each batch (116 ms against 2.4 ms for a one-task batch at 200,000 due, in the benchmark).
 */
export const retentionStatementTimeout = sql(
  'retention_statement_timeout',
  "select set_config('statement_timeout', $1::text, true), set_config('plan_cache_mode', 'force_custom_plan', true)",
);

/**
 * One batch of a rule: up to `$5` tasks, oldest first, locked (`skip locked`: a task someone
 * else holds waits for the next run). Their audit is copied to `tasker.transitions_archive`
 * when `$6`, at time `$7`; the tasks are deleted, and their steps, edges, audit and identity
 * windows go with them (`on delete cascade`). Parameters as `DOOMED`, then $5 batch size,
 * $6 archive, $7 now.
 */
export const sweepBatch = sql(
  'retention_sweep_batch',
  `
with doomed as (${DOOMED}
  order by t.state, t.created_at, t.id
  limit $5::int
  for update of t skip locked
), audit as (
  select r.*, d.namespace, d.name as task_name, d.version, d.state as task_state
  from tasker.transitions r join doomed d on d.id = r.task_id
), archived as (
  insert into tasker.transitions_archive (id, task_id, step_id, step_name, from_state, to_state, reason, metadata,
    created_at, namespace, task_name, version, task_state, archived_at)
  select a.id, a.task_id, a.step_id, a.step_name, a.from_state, a.to_state, a.reason, a.metadata, a.created_at,
    a.namespace, a.task_name, a.version, a.task_state, $7::bigint
  from audit a where $6::boolean
  on conflict (id) do nothing
  returning 1
), gone as (
  delete from tasker.tasks t using doomed d where t.id = d.id returning t.id
)
select (select count(*) from gone)::int as tasks, (select count(*) from audit)::int as transitions,
  (select count(*) from archived)::int as archived`,
);

/** A dry run of a rule: how many tasks and audit rows it would remove now. Parameters as `DOOMED`. */
export const countDoomed = sql(
  'retention_count',
  `
with doomed as (${DOOMED})
select (select count(*) from doomed)::int as tasks,
  (select count(*) from tasker.transitions r join doomed d on d.id = r.task_id)::int as transitions`,
);

/** Up to `$2` identity windows that ended before `$1`, removed. */
export const deleteExpiredKeys = sql(
  'retention_expired_keys',
  `
with expired as (
  select key from tasker.identity_windows where expires_at <= $1::bigint
  order by expires_at limit $2::int for update skip locked
)
delete from tasker.identity_windows w using expired e where w.key = e.key
returning 1`,
);

/** How many identity windows ended before `$1` (a dry run). */
export const countExpiredKeys = sql(
  'retention_count_expired_keys',
  'select count(*)::int as n from tasker.identity_windows where expires_at <= $1::bigint',
);

/** Records a run; keeps the newest 100. */
export const recordRetentionRun = sql(
  'retention_record_run',
  `
with run as (
  insert into tasker.retention_runs (started_at, finished_at, dry_run, worker_id, tasks, transitions, archived,
    identity_keys, batches, complete, by_rule, error)
  values ($1::bigint, $2::bigint, $3::boolean, $4::text, $5::int, $6::int, $7::int, $8::int, $9::int, $10::boolean,
    $11::jsonb, $12::text)
  returning id
)
delete from tasker.retention_runs where id <= (select id from run) - 100`,
);

/** The newest runs, newest first. $1 how many. */
export const recentRetentionRuns = sql(
  'retention_recent_runs',
  'select * from tasker.retention_runs order by id desc limit $1::int',
);
