import { type SqlQuery, sql } from './query';

/** A task's columns but its context and annotations (a list's summary). */
const TASK_COLUMNS_WITHOUT_VALUES = `t.id, t.namespace, t.name, t.version, t.state, t.initiator,
  t.requested_initiator, t.owner, t.source_system, t.reason, t.tags, t.identity_key, t.trace_context, t.bypass_steps,
  t.created_at, t.updated_at, t.completed_at, t.run_at, t.priority`;

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
 *
 * $2, when not null, is a byte budget (JSON text) that the answer keeps to: the context with
 * the annotations up to a quarter of it, the steps' inputs, results and errors up to half (in
 * step order: once the running size passes, later steps come without them), and the newest
 * transitions up to a quarter. What is left out comes back as sizes (`values_bytes`,
 * `omitted_bytes`, `transition_count`), never as values, so nothing over the budget is read.
 */
export const getTaskDetails = sql(
  'get_task_details',
  `
select ${TASK_COLUMNS_WITHOUT_VALUES},
  case when $2::bigint is null or v.bytes <= $2::bigint / 4 then t.context end as context,
  case when $2::bigint is null or v.bytes <= $2::bigint / 4 then t.annotations end as annotations,
  v.bytes as values_bytes,
  (select coalesce(json_agg(s order by s.position), '[]')
   from (select s.id, s.name, s.handler, s.position, s.state, s.retryable, s.retry_limit, s.attempts, s.timeout_ms,
           s.skippable, s.next_attempt_at, s.lease_owner, s.lease_expires_at,
           s.started_at, s.ended_at, s.created_at, s.queue, s.claim_key, s.pending_parents,
           s.priority, s.ready_at, s.hold, s.concurrency_key, s.concurrency_limit, s.rate_key, s.rate_limit,
           s.rate_period_ms, s.rate_burst,
           case when s.kept then s.inputs end as inputs,
           case when s.kept then s.results end as results,
           case when s.kept then s.error end as error,
           case when s.kept then null else s.bytes end as omitted_bytes
         from (select s.*, b.bytes,
                 $2::bigint is null
                   or sum(b.bytes) over (order by s.position rows unbounded preceding) <= $2::bigint / 2 as kept
               from tasker.steps s
               cross join lateral (select case when $2::bigint is null then 0
                 else octet_length(s.inputs::text) + coalesce(octet_length(s.results::text), 0)
                   + coalesce(octet_length(s.error::text), 0) end as bytes) b
               where s.task_id = t.id) s) s) as steps,
  (select coalesce(json_agg(json_build_array(e.parent_id, e.child_id)), '[]')
   from tasker.step_edges e where e.task_id = t.id) as edges,
  (select coalesce(json_agg(x order by x.id), '[]')
   from (select x.id, x.step_id, x.step_name, x.from_state, x.to_state, x.reason, x.metadata, x.created_at,
           $2::bigint is null
             or sum(160 + coalesce(octet_length(x.reason), 0) + octet_length(x.metadata::text))
                  over (order by x.id desc rows unbounded preceding) <= $2::bigint / 4 as kept
         from tasker.transitions x where x.task_id = t.id) x where x.kept) as transitions,
  (select count(*) from tasker.transitions x where x.task_id = t.id) as transition_count
from tasker.tasks t
cross join lateral (select case when $2::bigint is null then 0
  else octet_length(t.context::text) + octet_length(t.annotations::text) end as bytes) v
where t.id = $1::uuid`,
);

/** One task's state, and nothing else: what `waitFor` reads when it is woken. */
export const getTaskState = sql('get_task_state', 'select state from tasker.tasks where id = $1::uuid');

/**
 * Columns `listTasks` may sort by (an allow-list: the order is part of the statement text). A
 * page is found from the previous one by its last row (keyset), so every key is an expression
 * without nulls: `completed_at` stands in for "not finished" with the end of its range, which
 * keeps unfinished tasks last in either order, as `nulls last` did.
 */
export const TASK_SORT_COLUMNS = Object.freeze({
  createdAt: { expr: 't.created_at', param: '$13::bigint' },
  updatedAt: { expr: 't.updated_at', param: '$12::text::bigint' },
  completedAt: { expr: 't.completed_at', param: '$12::text::bigint', nullable: true },
  namespace: { expr: 't.namespace', param: '$12::text' },
  name: { expr: 't.name', param: '$12::text' },
  state: { expr: 't.state', param: '$12::text' },
} as const);

/** A column of {@link TASK_SORT_COLUMNS}. */
export type TaskSortKey = keyof typeof TASK_SORT_COLUMNS;

const TASK_FILTERS = `($1::text is null or t.namespace = $1::text)
  and ($2::text is null or t.name = $2::text)
  and ($3::text is null or t.version = $3::text)
  and ($4::text[] is null or t.state = any($4::text[]))
  and ($5::text[] is null or t.tags @> $5::text[])
  and ($6::text is null or t.annotations ? $6::text)
  and ($7::jsonb is null or t.annotations @> $7::jsonb)
  and ($8::bigint is null or t.created_at >= $8::bigint)
  and ($9::bigint is null or t.created_at < $9::bigint)
  and ($17::text is null or t.owner = $17::text)`;

/**
 * What a row costs a page, in bytes of JSON text: its summary fields (the fixed ones counted as
 * 256), plus its context and annotations when they are included ($15).
 */
const ROW_BYTES = `256 + octet_length(json_build_array(t.reason, t.tags, t.initiator, t.requested_initiator, t.owner,
    t.source_system, t.identity_key, t.trace_context, t.bypass_steps)::text)
  + case when $15::boolean then octet_length(t.context::text) + octet_length(t.annotations::text) else 0 end`;

const listTasksText = (by: TaskSortKey, order: 'asc' | 'desc') => {
  const column = TASK_SORT_COLUMNS[by];
  const end = order === 'desc' ? '-1' : '9223372036854775807';
  const key = 'nullable' in column ? `coalesce(${column.expr}, ${end})` : column.expr;
  const after = 'nullable' in column ? `coalesce(${column.param}, ${end})` : column.param;
  const keys = by === 'createdAt' ? ['t.created_at', 't.id'] : [key, 't.created_at', 't.id'];
  const cursor = by === 'createdAt' ? ['$13::bigint', '$14::uuid'] : [after, '$13::bigint', '$14::uuid'];
  const orderBy = keys.map((k) => `${k} ${order}`).join(', ');
  return `
with recursive found as (
  select t.id, ${keys.map((k, i) => `${k} as k${i}`).join(', ')}
  from tasker.tasks t
  where ${TASK_FILTERS}
    and ($14::uuid is null or (${keys.join(', ')}) ${order === 'desc' ? '<' : '>'} (${cursor.join(', ')})${
      // The created_at order has no separate sort key: a cursor made for it carries none.
      by === 'createdAt' ? ' and $12::text is null' : ''
    })
  order by ${orderBy}
  limit $10::int + 1 offset $11::int
), page as (
  select id, row_number() over (order by ${keys.map((_, i) => `k${i} ${order}`).join(', ')}) as n from found
), walk as (
  select 0::bigint as n, 0::bigint as running
  union all
  select p.n, w.running + (select ${ROW_BYTES} from tasker.tasks t where t.id = p.id)
  from walk w join page p on p.n = w.n + 1
  where w.n = 0 or (w.running <= $16::bigint and w.n < $10::int)
)
select ${TASK_COLUMNS_WITHOUT_VALUES},
  case when $15::boolean then t.context::text end as context,
  case when $15::boolean then t.annotations::text end as annotations,
  (select count(*) from page) as fetched,
  (select count(*) from tasker.tasks t where ${TASK_FILTERS}) as total
from (select) one
left join (walk w join page p on p.n = w.n join tasker.tasks t on t.id = p.id)
  on w.n <= $10::int and (w.n = 1 or w.running <= $16::bigint)
order by w.n`;
};

/**
 * A page of tasks matching the filters (each optional: null matches everything), in the given
 * order (default newest first), with the count of every match. $1 namespace, $2 name,
 * $3 version, $4 states, $5 tags (all of them), $6 annotation type, $7 annotation containing,
 * $8 created from, $9 created before, $10 limit, $11 offset; $12–$14 the last row of the
 * previous page (its sort key as text, its `created_at`, its id; all null for the first page);
 * $15 whether context and annotations come too (as JSON text: the bytes the budget counts);
 * $16 the page's byte budget; $17 the owner.
 *
 * The page is found first as ids alone, one row more than the limit, so that nothing large is
 * read for rows the page leaves out. A recursive walk then adds up the rows' sizes in order
 * and stops at the first row over the budget (a window sum would size every row, up to 500 of
 * them, 1 MiB each); the page keeps the rows within the budget, and always its first row, so
 * that a page makes progress. `fetched` (rows found) above
 * the rows returned says that a next page exists. A page with no rows is one row of nulls that
 * carries the counts. One prepared statement per order.
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

/** The database's own clock, in epoch milliseconds. */
export const databaseNow = sql(
  'database_now',
  `select floor(extract(epoch from clock_timestamp()) * 1000)::float8 as now`,
);

/** Wakes listening workers: one notify per transaction, not one per row. */
export const notify = sql('notify', 'select pg_notify($1::text, $2::text)');
