import { STEP_EVENT_COLUMNS, sql } from './query';

/** A step with the fields of its events, locked. */
export const lockStep = sql(
  'lock_step',
  `
select ${STEP_EVENT_COLUMNS}, s.pending_parents, t.state as task_state
from tasker.steps s join tasker.tasks t on t.id = s.task_id
where s.id = $1::uuid
for no key update of s`,
);

/**
 * Cancels steps that are not finished: the given ones, or every one of a task.
 * $1 step ids (or null), $2 task id (or null), $3 now.
 */
export const cancelSteps = sql(
  'cancel_steps',
  `
with old as (
  select s.id, s.state from tasker.steps s
  where (s.id = any($1::uuid[]) or s.task_id = $2::uuid)
    and s.state in ('pending', 'in_progress', 'waiting_for_retry', 'error')
  order by s.position
  for no key update
)
update tasker.steps s
set state = 'cancelled', ready_at = null, hold = null, lease_owner = null, lease_expires_at = null,
  ended_at = $3::bigint, lease_token = s.lease_token + 1
from old, tasker.tasks t
where s.id = old.id and t.id = s.task_id
returning ${STEP_EVENT_COLUMNS}, old.state as from_state, s.position`,
);

/** The step and every step that depends on it, directly or not. */
export const descendants = sql(
  'step_descendants',
  `
with recursive d(id) as (
  select $1::uuid
  union
  select e.child_id from tasker.step_edges e join d on e.parent_id = d.id
)
select id from d`,
);

/**
 * Moves a step in `error` back to `pending` with a fresh retry budget; it is ready at once
 * when its parents are satisfied. $1 step, $2 now.
 */
export const retryStep = sql(
  'retry_step',
  `
update tasker.steps s
set state = 'pending', attempts = 0, error = null, next_attempt_at = null,
  ready_at = case when s.pending_parents = 0 then $2::bigint end
from tasker.tasks t
where s.id = $1::uuid and s.state = 'error' and t.id = s.task_id
returning ${STEP_EVENT_COLUMNS}`,
);

/**
 * Resolves an unfinished step by hand, with an optional result that its children receive.
 * Bumps the fencing token so a handler still running cannot complete it afterwards.
 * $1 step, $2 result (or null to keep), $3 now, $4 allowed from-states.
 */
export const resolveStep = sql(
  'resolve_step',
  `
with old as (select id, state from tasker.steps where id = $1::uuid for no key update)
update tasker.steps s
set state = 'resolved_manually', results = coalesce($2::jsonb, s.results), ready_at = null, hold = null,
  lease_owner = null, lease_expires_at = null, ended_at = $3::bigint, lease_token = s.lease_token + 1
from old, tasker.tasks t
where s.id = old.id and old.state = any($4::text[]) and t.id = s.task_id
returning ${STEP_EVENT_COLUMNS}, old.state as from_state`,
);

/** Changes a step's retry limit and inputs. $1 step, $2 retry limit, $3 inputs. */
export const updateStep = sql(
  'update_step',
  `
update tasker.steps
set retry_limit = coalesce($2::int, retry_limit), inputs = coalesce($3::jsonb, inputs)
where id = $1::uuid
returning id`,
);
