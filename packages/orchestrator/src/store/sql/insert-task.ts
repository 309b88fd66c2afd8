import { sql } from './query';

/** Inserts a task unless its identity key exists; returns the id only when it inserted. */
export const insertTask = sql(
  'insert_task',
  `
insert into tasker.tasks (id, namespace, name, version, state, context, initiator, source_system, reason,
  tags, annotations, identity_key, trace_context, bypass_steps, unfinished_steps, created_at, updated_at)
values ($1, $2, $3, $4, 'in_progress', $5::jsonb, $6, $7, $8, $9::text[], $10::jsonb, $11, $12::jsonb, $13::text[],
  $14::int, $15::bigint, $15::bigint)
on conflict (identity_key) where identity_key is not null do nothing
returning id`,
);

/** The task that holds an identity key. */
export const findTaskByIdentity = sql(
  'find_task_by_identity',
  'select id from tasker.tasks where identity_key = $1',
);
