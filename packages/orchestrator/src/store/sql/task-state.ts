import { sql, TASK_EVENT_COLUMNS } from './query';

/**
 * Counts steps that became complete, resolved or skipped; the task is finalised `complete`
 * when none is left. The row lock (`for no key update`) serialises concurrent completions of one
 * task, so exactly one of them sees the count reach 0. $1 task, $2 count, $3 now.
 */
export const stepsSatisfied = sql(
  'task_steps_satisfied',
  `
with old as (select id, state from tasker.tasks where id = $1::uuid for no key update)
update tasker.tasks t
set unfinished_steps = t.unfinished_steps - $2::int,
  state = case when t.unfinished_steps - $2::int <= 0 and t.state = 'in_progress' then 'complete' else t.state end,
  completed_at = case when t.unfinished_steps - $2::int <= 0 and t.state = 'in_progress' then $3::bigint
    else t.completed_at end,
  updated_at = $3::bigint
from old
where t.id = old.id
returning ${TASK_EVENT_COLUMNS}, old.state as from_state, t.state as to_state, t.unfinished_steps`,
);

/**
 * Moves a task to `$3` when it is in one of the states `$2`.
 * $1 task, $2 allowed from-states, $3 to-state, $4 now.
 */
export const transitionTask = sql(
  'transition_task',
  `
with old as (select id, state from tasker.tasks where id = $1::uuid for no key update)
update tasker.tasks t
set state = $3::text, updated_at = $4::bigint,
  completed_at = case when $3::text in ('complete', 'cancelled', 'resolved_manually') then $4::bigint
    else t.completed_at end
from old
where t.id = old.id and old.state = any($2::text[])
returning ${TASK_EVENT_COLUMNS}, old.state as from_state, t.state as to_state, t.unfinished_steps`,
);

/** A task's fields for events, and its state, locked for the rest of the transaction. */
export const lockTask = sql(
  'lock_task',
  `select ${TASK_EVENT_COLUMNS}, t.state, t.unfinished_steps from tasker.tasks t where t.id = $1::uuid for no key update`,
);

/** How many steps of a task are in `error`. */
export const countErroredSteps = sql(
  'count_errored_steps',
  `select count(*)::int as n from tasker.steps where task_id = $1::uuid and state = 'error'`,
);

/** Changes a task's reason, tags and annotations (merged by type). $1 task, $2 reason, $3 tags, $4 annotations, $5 now. */
export const updateTask = sql(
  'update_task',
  `
update tasker.tasks
set reason = coalesce($2::text, reason), tags = coalesce($3::text[], tags),
  annotations = annotations || coalesce($4::jsonb, '{}'::jsonb), updated_at = $5::bigint
where id = $1::uuid
returning id`,
);
