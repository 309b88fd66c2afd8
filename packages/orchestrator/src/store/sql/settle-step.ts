import { sql } from './query';

/**
 * Readiness of children, computed in SQL: each child of the given (now satisfied) parents
 * loses one pending parent per edge; a pending child that reaches 0 becomes ready now (claimable
 * once its task is in progress: a task in `error` puts it in the claim index when it resumes).
 * $1 parents, $2 now.
 */
export const releaseChildren = sql(
  'release_children',
  `
update tasker.steps c
set pending_parents = c.pending_parents - e.n,
  ready_at = case when c.pending_parents - e.n = 0 and c.state = 'pending' and t.state = 'in_progress' then $2::bigint
    else c.ready_at end
from (
  select child_id, count(*)::int as n from tasker.step_edges where parent_id = any($1::uuid[]) group by child_id
) e, tasker.tasks t
where c.id = e.child_id and t.id = c.task_id
returning c.id, c.name, c.task_id, c.state, c.pending_parents`,
);
