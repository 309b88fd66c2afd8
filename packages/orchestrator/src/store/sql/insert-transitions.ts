import { sql } from './query';

/** Appends transitions to the audit trail, in the order given; returns their ids in that order. $9 the writer. */
export const insertTransitions = sql(
  'insert_transitions',
  `
insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, reason, metadata, created_at,
  writer)
select u.task_id, u.step_id, u.step_name, u.from_state, u.to_state, u.reason, u.metadata, $1::bigint, $9::int
from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
  with ordinality as u(task_id, step_id, step_name, from_state, to_state, reason, metadata, ord)
order by u.ord
returning id`,
);
