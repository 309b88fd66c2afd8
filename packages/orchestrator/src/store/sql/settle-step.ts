import { STEP_EVENT_COLUMNS, sql } from './query';

/**
 * Completes a claimed step, fenced by its token: a worker whose lease was taken over (or whose
 * step was cancelled or resolved meanwhile) updates nothing.
 * $1 step, $2 token, $3 result, $4 now.
 */
export const completeStep = sql(
  'complete_step',
  `
update tasker.steps s
set state = 'complete', results = $3::jsonb, error = null, ready_at = null, lease_owner = null,
  lease_expires_at = null, ended_at = $4::bigint
from tasker.tasks t
where s.id = $1::uuid and s.lease_token = $2::bigint and s.state = 'in_progress' and t.id = s.task_id
returning ${STEP_EVENT_COLUMNS}, s.started_at`,
);

/**
 * Records a failed attempt, fenced by its token. The database decides between a retry
 * (`waiting_for_retry` at now + delay, when `$3` says the error is retryable and attempts
 * remain) and `error`. $1 step, $2 token, $3 retryable, $4 error, $5 now, $6 delay (ms).
 */
export const failStep = sql(
  'fail_step',
  `
update tasker.steps s
set state = case when $3::boolean and s.retryable and s.attempts <= s.retry_limit then 'waiting_for_retry' else 'error' end,
  error = $4::jsonb,
  next_attempt_at = case when $3::boolean and s.retryable and s.attempts <= s.retry_limit
    then $5::bigint + $6::bigint end,
  ready_at = case when $3::boolean and s.retryable and s.attempts <= s.retry_limit
    then $5::bigint + $6::bigint end,
  lease_owner = null, lease_expires_at = null, ended_at = $5::bigint
from tasker.tasks t
where s.id = $1::uuid and s.lease_token = $2::bigint and s.state = 'in_progress' and t.id = s.task_id
returning ${STEP_EVENT_COLUMNS}, s.next_attempt_at, s.started_at`,
);

/**
 * Readiness of children, computed in SQL: each child of the given (now satisfied) parents
 * loses one pending parent per edge; a pending child that reaches 0 becomes ready now.
 * $1 parents, $2 now.
 */
export const releaseChildren = sql(
  'release_children',
  `
update tasker.steps c
set pending_parents = c.pending_parents - e.n,
  ready_at = case when c.pending_parents - e.n = 0 and c.state = 'pending' then $2::bigint else c.ready_at end
from (
  select child_id, count(*)::int as n from tasker.step_edges where parent_id = any($1::uuid[]) group by child_id
) e
where c.id = e.child_id
returning c.id, c.name, c.task_id, c.state, c.pending_parents`,
);
