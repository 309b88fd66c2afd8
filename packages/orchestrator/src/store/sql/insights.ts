/**
 * Read-only aggregate queries for health and analytics. Every number is computed in SQL; the
 * REST layer only renames fields. Times are epoch ms (`bigint`), compared with `$now` from the
 * engine's clock like everything else.
 */
import { sql } from './query';

/** Round trip to the database: readiness. */
export const ping = sql('insights_ping', 'select 1 as ok');

/** Applied migrations. */
export const appliedMigrations = sql(
  'insights_applied_migrations',
  'select coalesce(array_agg(id order by id), array[]::int[]) as ids from tasker.migrations',
);

/**
 * The figures of `/health/status`, all from index ranges (the caller pins the plan: no table is
 * read in full, however large). $1 now, $2 the window's start.
 *
 * - `tasks`: tasks created in the window, by their state now (`tasks_created_idx`).
 * - `attempts`: step attempts that ended in the window, from the audit (`transitions_created_brin`):
 *   `ended` (in_progress → complete, error or waiting_for_retry), `failed` (the last two),
 *   `errored` (→ error: failed for good), `retries` (→ waiting_for_retry, or error → pending by
 *   hand) and the steps they concern.
 * - `oldest_ready_at`: the earliest `ready_at` at or before now of a step waiting to be claimed
 *   (ready, or a retry that fell due; not a step held back by a delayed start, a rate limit or
 *   a full concurrency key): one probe of `steps_claim_idx` per claim key and priority level,
 *   whose distinct pairs are walked by skipping through the index.
 * - `held_*`: ready steps held back on purpose: parked by a full concurrency key
 *   (`steps_parked_idx`), put back by a rate limit (`steps_rate_held_idx`), or roots of tasks
 *   whose delayed start has not come (`tasks_run_at_idx`).
 */
export const healthFigures = sql(
  'insights_health_figures',
  `
with recursive levels as (
  (select s.claim_key, s.priority from tasker.steps s
   where s.ready_at is not null and s.state <> 'in_progress' and s.hold is distinct from 'concurrency'
   order by s.claim_key, s.priority limit 1)
  union all
  select x.claim_key, x.priority
  from levels l cross join lateral (
    select s.claim_key, s.priority from tasker.steps s
    where s.ready_at is not null and s.state <> 'in_progress' and s.hold is distinct from 'concurrency'
      and (s.claim_key, s.priority) > (l.claim_key, l.priority)
    order by s.claim_key, s.priority limit 1
  ) x
), oldest as (
  select (select s.ready_at from tasker.steps s
          where s.claim_key = l.claim_key and s.priority = l.priority and s.ready_at is not null
            and s.state <> 'in_progress' and s.hold is distinct from 'concurrency' and s.ready_at <= $1::bigint
          order by s.ready_at limit 1) as ready_at
  from levels l
), attempts as (
  select
    count(*) filter (where from_state = 'in_progress' and to_state in ('complete', 'error', 'waiting_for_retry'))
      as ended,
    count(*) filter (where from_state = 'in_progress' and to_state in ('error', 'waiting_for_retry')) as failed,
    count(*) filter (where from_state = 'in_progress' and to_state = 'error') as errored,
    count(*) filter (where to_state = 'waiting_for_retry' or (from_state = 'error' and to_state = 'pending'))
      as retries,
    count(distinct step_id) filter (where to_state = 'waiting_for_retry'
      or (from_state = 'error' and to_state = 'pending')) as retried_steps
  from tasker.transitions
  where created_at >= $2::bigint and step_id is not null
)
select
  (select coalesce(jsonb_object_agg(state, n), '{}'::jsonb)
     from (select state, count(*)::int as n from tasker.tasks where created_at >= $2::bigint group by state) x)
    as tasks,
  a.ended::int, a.failed::int, a.errored::int, a.retries::int, a.retried_steps::int,
  (select min(ready_at) from oldest) as oldest_ready_at,
  (select count(*) from tasker.steps s where s.hold = 'concurrency' and s.ready_at is not null)::int
    as held_concurrency,
  (select count(*) from tasker.steps s where s.hold = 'rate' and s.ready_at > $1::bigint)::int as held_rate,
  (select coalesce(sum((select count(*) from tasker.steps s
     where s.task_id = t.id and s.state = 'pending' and s.pending_parents = 0 and s.ready_at > $1::bigint)), 0)
   from tasker.tasks t where t.run_at > $1::bigint
  )::int as held_scheduled
from attempts a`,
);

/** Pins the plan of the health figures: index ranges only (see `healthFigures`). */
export const pinIndexScans = sql('insights_pin_index_scans', 'set local enable_seqscan = off');

/**
 * Task and step figures per time window. $1 now, $2 window labels, $3 window lengths (ms).
 * A task counts as completed, failed or cancelled in a window when it reached that state in
 * it (`completed_at`, or `updated_at` for `error`, which has no completion time).
 */
export const performanceWindows = sql(
  'insights_performance',
  `
with w as (
  select label, span, $1::bigint - span as since
  from unnest($2::text[], $3::bigint[]) as u(label, span)
),
ts as (
  select w.label,
    count(t.id) filter (where t.created_at >= w.since) as created,
    count(t.id) filter (where t.state = 'complete' and t.completed_at >= w.since) as completed,
    count(t.id) filter (where t.state = 'error' and t.updated_at >= w.since) as failed,
    count(t.id) filter (where t.state = 'cancelled' and t.completed_at >= w.since) as cancelled,
    avg(t.completed_at - t.created_at) filter (where t.state = 'complete' and t.completed_at >= w.since) as avg_ms,
    percentile_cont(0.5) within group (order by t.completed_at - t.created_at)
      filter (where t.state = 'complete' and t.completed_at >= w.since) as p50_ms,
    percentile_cont(0.95) within group (order by t.completed_at - t.created_at)
      filter (where t.state = 'complete' and t.completed_at >= w.since) as p95_ms,
    max(t.completed_at - t.created_at) filter (where t.state = 'complete' and t.completed_at >= w.since) as max_ms
  from w
  left join tasker.tasks t on t.created_at >= w.since or t.updated_at >= w.since
  group by w.label
),
ss as (
  select w.label,
    count(s.id) filter (where s.state = 'complete') as completed,
    count(s.id) filter (where s.state = 'error') as failed,
    count(s.id) filter (where s.attempts > 1) as retried,
    avg(s.ended_at - s.started_at) filter (where s.state = 'complete' and s.started_at is not null) as avg_ms
  from w
  left join tasker.steps s on s.ended_at >= w.since
  group by w.label
)
select w.label, w.span, w.since,
  ts.created::int, ts.completed::int, ts.failed::int, ts.cancelled::int,
  ts.avg_ms::float8, ts.p50_ms::float8, ts.p95_ms::float8, ts.max_ms::float8,
  ss.completed::int as steps_completed, ss.failed::int as steps_failed, ss.retried::int as steps_retried,
  ss.avg_ms::float8 as steps_avg_ms
from w join ts on ts.label = w.label join ss on ss.label = w.label
order by w.span`,
);

const TASK_FILTER = `($2::text is null or t.namespace = $2::text)
  and ($3::text is null or t.name = $3::text)
  and ($4::text is null or t.version = $4::text)`;

/**
 * The slowest tasks created since `$1` (unfinished ones measured up to `$6`, now).
 * $1 since, $2 namespace, $3 name, $4 version, $5 limit, $6 now.
 */
export const slowestTasks = sql(
  'insights_slowest_tasks',
  `
select t.id, t.namespace, t.name, t.version, t.state,
  (case when t.state in ('complete', 'cancelled', 'resolved_manually') then t.completed_at
        when t.state = 'error' then t.updated_at
        else $6::bigint end - t.created_at)::float8 as duration_ms,
  (select count(*)::int from tasker.steps s where s.task_id = t.id) as step_count
from tasker.tasks t
where t.created_at >= $1::bigint and ${TASK_FILTER}
order by duration_ms desc, t.id
limit $5::int`,
);

/** Step templates by average duration of their attempts that ended since `$1`. Parameters as above. */
export const slowestSteps = sql(
  'insights_slowest_steps',
  `
select t.namespace, t.name as task_name, t.version, s.name as step_name,
  count(*)::int as executions,
  avg(s.ended_at - s.started_at)::float8 as avg_ms,
  percentile_cont(0.95) within group (order by s.ended_at - s.started_at)::float8 as p95_ms,
  max(s.ended_at - s.started_at)::float8 as max_ms,
  avg(s.attempts)::float8 as avg_attempts,
  count(*) filter (where s.state = 'error')::int as error_count
from tasker.steps s
join tasker.tasks t on t.id = s.task_id
where s.started_at is not null and s.ended_at is not null and s.ended_at >= $1::bigint and ${TASK_FILTER}
group by t.namespace, t.name, t.version, s.name
order by avg_ms desc, t.namespace, t.name, s.name
limit $5::int`,
);

/**
 * Failures since `$1` from the audit trail (every failed attempt, retried or final), grouped by
 * step and error name and code. Parameters as above.
 */
export const errorPatterns = sql(
  'insights_error_patterns',
  `
select t.namespace, t.name as task_name, tr.step_name,
  coalesce(tr.metadata->'error'->>'name', 'Error') as error_name,
  tr.metadata->'error'->>'code' as error_code,
  count(*)::int as occurrences,
  count(distinct tr.task_id)::int as affected_tasks,
  max(tr.created_at)::float8 as last_seen_at,
  (array_agg(tr.metadata->'error'->>'message' order by tr.id desc))[1] as sample_message
from tasker.transitions tr
join tasker.tasks t on t.id = tr.task_id
where tr.step_id is not null and tr.to_state in ('error', 'waiting_for_retry') and tr.metadata ? 'error'
  and tr.created_at >= $1::bigint and ${TASK_FILTER}
group by t.namespace, t.name, tr.step_name, error_name, error_code
order by occurrences desc, last_seen_at desc
limit $5::int`,
);

/** Steps in progress per concurrency key (`steps_running_key_idx`). $1 the keys. */
export const runningByConcurrencyKey = sql(
  'insights_running_by_concurrency_key',
  `select concurrency_key as key, count(*)::int as n from tasker.steps
where concurrency_key = any($1::text[]) and state = 'in_progress'
group by concurrency_key`,
);
