import { sql } from './query';

/**
 * Records the outcomes of claimed steps in one statement (one round trip, one commit). Every
 * row it changes is locked first in id order (`held`, `children`, `locked`): a lease renewal
 * of the same steps, or another worker's settle, locks in the same order, so none deadlock.
 *
 * - `settled`: each step's new state, fenced by its token (a step taken over, cancelled or
 *   resolved meanwhile is left alone). The database decides between a retry
 *   (`waiting_for_retry` at now + delay, when the error is retryable and attempts remain) and
 *   `error`;
 * - `released`: each child of a completed step loses one pending parent per edge, and a
 *   pending child that reaches 0 is ready now (readiness computed in SQL);
 * - `finalised`: each task with a completed or failed step, locked in id order (so that two
 *   workers settling steps of the same tasks cannot deadlock on them) with `for no key update`
 *   (which, unlike `for update`, does not wait for the key-share locks that a concurrent claim's
 *   audit rows take on their tasks: the two would deadlock otherwise): it counts its
 *   satisfied steps, and moves to `complete` when none is left, or to `error` when a step
 *   failed for good;
 * - `audit`: the transitions, steps first in input order, then tasks;
 * - `wake`: one NOTIFY when any step became ready or a retry was scheduled (idle workers
 *   claim, and learn when it falls due);
 * - `finished`: one NOTIFY on `$13` per 200 tasks that finished (`<origin>:<id>,<id>…`, see
 *   `task-finished.ts`), which wakes `waitFor` in other stores.
 *
 * It returns one row per settled step (`kind` = 'step'), per ready child ('ready') and per
 * finalised task ('task').
 *
 * $1 now; per outcome: $2 step ids, $3 tokens, $4 ok (completed), $5 results, $6 retryable,
 * $7 errors, $8 delays (ms), $9 retry-after (ms, or null); $10 the channel to notify, $11 the payload;
 * $12 the writer (the registry number of this process, or null); $13 the task-finished channel.
 */
export const settleSteps = sql(
  'settle_steps',
  `
with input as (
  select * from unnest($2::uuid[], $3::bigint[], $4::boolean[], $5::jsonb[], $6::boolean[], $7::jsonb[],
    $8::bigint[], $9::bigint[]) with ordinality as u(id, token, ok, result, retryable, error, delay, retry_after, ord)
), held as (
  select s.id from tasker.steps s where s.id in (select id from input) order by s.id for no key update
), settled as (
  update tasker.steps s
  set state = case when i.ok then 'complete'
      when i.retryable and s.retryable and s.attempts <= s.retry_limit then 'waiting_for_retry'
      else 'error' end,
    results = case when i.ok then i.result else s.results end,
    error = case when i.ok then null else i.error end,
    next_attempt_at = case when not i.ok and i.retryable and s.retryable and s.attempts <= s.retry_limit
      then $1::bigint + i.delay end,
    ready_at = case when not i.ok and i.retryable and s.retryable and s.attempts <= s.retry_limit
      and t.state = 'in_progress' then $1::bigint + i.delay end,
    lease_owner = null, lease_expires_at = null, ended_at = $1::bigint
  from input i, held h, tasker.tasks t
  where h.id = i.id and s.id = i.id and s.lease_token = i.token and s.state = 'in_progress' and t.id = s.task_id
  returning s.id, s.task_id, s.name, s.state, s.attempts, s.retry_limit, s.retryable, s.started_at, s.next_attempt_at,
    t.namespace, t.name as task_name, t.version, t.trace_context, t.created_at, i.error, i.retry_after, i.ord,
    i.retryable as outcome_retryable
), releasing as (
  select e.child_id, count(*)::int as n
  from tasker.step_edges e join settled d on d.id = e.parent_id
  where d.state = 'complete'
  group by e.child_id
), children as (
  select c.id from tasker.steps c where c.id in (select child_id from releasing) order by c.id for no key update
), released as (
  update tasker.steps c
  set pending_parents = c.pending_parents - e.n,
    ready_at = case when c.pending_parents - e.n = 0 and c.state = 'pending' and t.state = 'in_progress' then $1::bigint
      else c.ready_at end
  from releasing e, children k, tasker.tasks t
  where c.id = e.child_id and k.id = e.child_id and t.id = c.task_id
  returning c.id, c.task_id, c.name, c.state, c.pending_parents
), per_task as (
  select task_id, count(*) filter (where state = 'complete')::int as satisfied,
    (array_agg(error order by ord) filter (where state = 'error'))[1] as error
  from settled
  where state in ('complete', 'error')
  group by task_id
), locked as (
  select t.id, t.state from tasker.tasks t where t.id in (select task_id from per_task) order by t.id for no key update
), finalised as (
  update tasker.tasks t
  set unfinished_steps = t.unfinished_steps - p.satisfied,
    state = case when t.state <> 'in_progress' then t.state
      when p.error is not null then 'error'
      when t.unfinished_steps - p.satisfied <= 0 then 'complete'
      else t.state end,
    completed_at = case when t.state = 'in_progress' and p.error is null and t.unfinished_steps - p.satisfied <= 0
      then $1::bigint else t.completed_at end,
    updated_at = $1::bigint
  from per_task p, locked l
  where t.id = p.task_id and l.id = p.task_id
  returning t.id, l.state as from_state, t.state as to_state, p.error
), audit as (
  insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, metadata, created_at, writer)
  select x.task_id, x.step_id, x.step_name, x.from_state, x.to_state, x.metadata, $1::bigint, $12::int
  from (
    select s.task_id, s.id as step_id, s.name as step_name, 'in_progress' as from_state, s.state as to_state,
      jsonb_strip_nulls(jsonb_build_object(
        'error', case when s.state <> 'complete' then s.error end,
        'attempt', s.attempts,
        'backoffMs', s.next_attempt_at - $1::bigint,
        'nextAttemptAt', s.next_attempt_at,
        'retryAfterMs', case when s.state = 'waiting_for_retry' then s.retry_after end,
        'exhausted', case when s.state = 'error' and s.outcome_retryable and s.retryable then true end)) as metadata,
      0 as kind, s.ord
    from settled s
    union all
    select f.id, null, null, f.from_state, f.to_state,
      jsonb_strip_nulls(jsonb_build_object('error', case when f.to_state = 'error' then f.error end)), 1, 0
    from finalised f
    where f.from_state <> f.to_state
  ) x
  order by x.kind, x.ord, x.task_id
  returning id, task_id, step_id
), ready as (
  select id, task_id, name from released where state = 'pending' and pending_parents = 0
), wake as (
  select pg_notify($10::text, $11::text) as sent
  where exists (select 1 from ready) or exists (select 1 from settled where state = 'waiting_for_retry')
), finished as (
  select pg_notify($13::text, $11::text || ':' || string_agg(x.id::text, ',')) as sent
  from (
    select f.id, (row_number() over (order by f.id) - 1) / 200 as chunk
    from finalised f
    where f.from_state <> f.to_state and f.to_state in ('complete', 'error')
  ) x
  group by x.chunk
)
select 'step' as kind, s.id, s.task_id, s.name, s.state, null::text as from_state, s.attempts, s.retry_limit,
  s.started_at, s.next_attempt_at, s.namespace, s.task_name, s.version, s.trace_context, s.created_at, s.error,
  s.retry_after, s.ord, s.retryable, a.id as transition_id
from settled s left join audit a on a.step_id = s.id
union all
select 'ready', r.id, r.task_id, r.name, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null
from ready r
union all
select 'task', f.id, f.id, null, f.to_state, f.from_state, null, null, null, null, null, null, null, null, null,
  f.error, null, null, null, a.id
from finalised f left join audit a on a.step_id is null and a.task_id = f.id
where f.from_state <> f.to_state
union all
select 'wake', null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null
from wake
union all
select 'finished', null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
  null, null, null
from finished`,
);
