import { type SqlQuery, sql } from './query';

const TASK_COLUMNS = `t.id, t.namespace, t.name, t.version, t.state, t.context, t.initiator, t.requested_initiator,
  t.owner, t.source_system, t.reason,
  t.tags, t.annotations, t.identity_key, t.trace_context, t.bypass_steps, t.created_at, t.updated_at, t.completed_at`;

/**
 * One task with its steps, its dependency edges and its transitions, in one round trip. Its
 * plan does not depend on statistics (issue #11, item 6): the task is found through its primary
 * key, which the planner knows yields one row whatever the table holds, and each scalar
 * subquery then runs once for that row, through its index (`steps (task_id, name)`,
 * `step_edges (task_id)`, `transitions (task_id, id)`). A per-step subquery instead (a step's
 * parents, looked up for each step) is costed as the product of two guesses: with no statistics
 * each guess is 0.5 % of a table, and at 20k tasks the old statement got a parallel sequential
 * scan of `steps` and JIT compilation, about 0.5 s per read. Correlated subqueries are never run
 * by parallel workers. Each part comes back as JSON; a step's parents are named in TypeScript
 * from the edges.
 */
export const getTaskDetails = sql(
  'get_task_details',
  `
select ${TASK_COLUMNS},
  (select coalesce(json_agg(s order by s.position), '[]')
   from (select s.id, s.name, s.handler, s.position, s.state, s.retryable, s.retry_limit, s.attempts, s.timeout_ms,
           s.skippable, s.inputs, s.results, s.error, s.next_attempt_at, s.lease_owner, s.lease_expires_at,
           s.started_at, s.ended_at, s.created_at, s.queue, s.claim_key, s.pending_parents
         from tasker.steps s where s.task_id = t.id) s) as steps,
  (select coalesce(json_agg(json_build_array(e.parent_id, e.child_id)), '[]')
   from tasker.step_edges e where e.task_id = t.id) as edges,
  (select coalesce(json_agg(x order by x.id), '[]')
   from (select x.id, x.step_id, x.step_name, x.from_state, x.to_state, x.reason, x.metadata, x.created_at
         from tasker.transitions x where x.task_id = t.id) x) as transitions
from tasker.tasks t
where t.id = $1::uuid`,
);

/** One task's state, and nothing else: what `waitFor` reads when it is woken. */
export const getTaskState = sql('get_task_state', 'select state from tasker.tasks where id = $1::uuid');

/** Columns `listTasks` may sort by (an allow-list: the order is part of the statement text). */
export const TASK_SORT_COLUMNS = Object.freeze({
  createdAt: 't.created_at',
  updatedAt: 't.updated_at',
  completedAt: 't.completed_at',
  namespace: 't.namespace',
  name: 't.name',
  state: 't.state',
} as const);

/** A column of {@link TASK_SORT_COLUMNS}. */
export type TaskSortKey = keyof typeof TASK_SORT_COLUMNS;

const listTasksText = (by: TaskSortKey, order: 'asc' | 'desc') => `
select ${TASK_COLUMNS}, count(*) over () as total
from tasker.tasks t
where ($1::text is null or t.namespace = $1::text)
  and ($2::text is null or t.name = $2::text)
  and ($3::text is null or t.version = $3::text)
  and ($4::text[] is null or t.state = any($4::text[]))
  and ($5::text[] is null or t.tags @> $5::text[])
  and ($6::text is null or t.annotations ? $6::text)
  and ($7::jsonb is null or t.annotations @> $7::jsonb)
  and ($8::bigint is null or t.created_at >= $8::bigint)
  and ($9::bigint is null or t.created_at < $9::bigint)
order by ${TASK_SORT_COLUMNS[by]} ${order} nulls last${by === 'createdAt' ? '' : `, t.created_at ${order}`}, t.id
limit $10::int offset $11::int`;

/**
 * Tasks matching the filters (each optional: null matches everything), in the given order
 * (default newest first), with the total count. $1 namespace, $2 name, $3 version, $4 states,
 * $5 tags (all of them), $6 annotation type, $7 annotation containing, $8 created from,
 * $9 created before, $10 limit, $11 offset. One prepared statement per order.
 */
export const listTasksSorted: Readonly<Record<TaskSortKey, Readonly<Record<'asc' | 'desc', SqlQuery>>>> =
  Object.freeze(
    Object.fromEntries(
      (Object.keys(TASK_SORT_COLUMNS) as TaskSortKey[]).map((by) => [
        by,
        Object.freeze({
          asc: sql('list_tasks', listTasksText(by, 'asc')),
          desc: sql('list_tasks', listTasksText(by, 'desc')),
        }),
      ]),
    ) as Record<TaskSortKey, Record<'asc' | 'desc', SqlQuery>>,
  );

/** Newest first. */
export const listTasks = listTasksSorted.createdAt.desc;

/** The database's own clock, in epoch milliseconds. */
export const databaseNow = sql(
  'database_now',
  `select floor(extract(epoch from clock_timestamp()) * 1000)::float8 as now`,
);

/** Wakes listening workers: one notify per transaction, not one per row. */
export const notify = sql('notify', 'select pg_notify($1::text, $2::text)');
