/**
 * Reads of the transition audit for the API: the span of each step of a task (critical path)
 * and pages of the audit in id order with what their events need (the live event feed).
 */
import { sql } from './query';

/**
 * Each step of task `$1` that ever left `pending`: when it was first claimed (its first
 * `→ in_progress`; null for a step skipped or resolved without running) and when it last
 * settled (its last `→ complete`, `error`, `resolved_manually`, `cancelled` or `skipped`; null
 * while it has not). From `transitions_task_idx`: one range of the task's rows.
 */
export const stepSpans = sql(
  'audit_step_spans',
  `
select r.step_id,
  min(r.created_at) filter (where r.to_state = 'in_progress') as first_claimed_at,
  max(r.created_at) filter (
    where r.to_state in ('complete', 'error', 'resolved_manually', 'cancelled', 'skipped')
  ) as settled_at
from tasker.transitions r
where r.task_id = $1::uuid and r.step_id is not null
group by r.step_id`,
);

/**
 * The audit rows after id `$1`, in id order, at most `$2`, with the columns events need (those
 * of `unpublishedTransitions`) and the task's owner (for owner scoping). A range of the
 * primary key.
 */
export const auditPage = sql(
  'audit_page',
  `
select r.id, r.task_id, r.step_id, r.step_name, r.from_state, r.to_state, r.reason, r.metadata, r.created_at,
  t.namespace, t.name as task_name, t.version, t.trace_context, t.created_at as task_created_at, t.owner,
  s.retry_limit, s.started_at
from tasker.transitions r
join tasker.tasks t on t.id = r.task_id
left join tasker.steps s on s.id = r.step_id
where r.id > $1::bigint
order by r.id
limit $2::int`,
);

/**
 * The snapshot horizon: `xmax` of the current snapshot (every transaction that started before
 * it is below it) and `xmin` (every transaction below it has ended), as text of `xid8`.
 */
export const snapshotHorizon = sql(
  'audit_snapshot_horizon',
  `
select pg_snapshot_xmin(pg_current_snapshot())::text as xmin,
  pg_snapshot_xmax(pg_current_snapshot())::text as xmax`,
);

/** The id of the newest audit row (0 when there is none). */
export const lastTransitionId = sql(
  'audit_last_transition_id',
  'select coalesce(max(id), 0) as id from tasker.transitions',
);
