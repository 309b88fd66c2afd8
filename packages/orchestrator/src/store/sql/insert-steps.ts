import { sql } from './query';

/**
 * Inserts every step of a new task in one statement. A step with no unsatisfied parent is
 * ready at once (`ready_at = now`).
 */
export const insertSteps = sql(
  'insert_steps',
  `
insert into tasker.steps (id, task_id, name, handler, position, state, retryable, retry_limit, timeout_ms,
  skippable, inputs, pending_parents, ready_at, created_at)
select u.id, $1::uuid, u.name, u.handler, u.position, u.state, u.retryable, u.retry_limit, u.timeout_ms,
  u.skippable, $2::jsonb, u.pending_parents,
  case when u.state = 'pending' and u.pending_parents = 0 then $3::bigint end, $3::bigint
from unnest($4::uuid[], $5::text[], $6::text[], $7::int[], $8::text[], $9::bool[], $10::int[], $11::int[],
  $12::bool[], $13::int[]) as u(id, name, handler, position, state, retryable, retry_limit, timeout_ms,
  skippable, pending_parents)`,
);

/** Inserts the dependency edges of a new task. */
export const insertEdges = sql(
  'insert_step_edges',
  `
insert into tasker.step_edges (task_id, parent_id, child_id)
select $1::uuid, u.parent_id, u.child_id from unnest($2::uuid[], $3::uuid[]) as u(parent_id, child_id)`,
);
