import { sql } from './query';

/**
 * Claims up to `$2` ready steps for worker `$3`, atomically, in one statement:
 *
 * - ready means `ready_at <= $now` in a task that is in progress: a pending step whose
 *   parents are satisfied, a step waiting for retry whose time has come, or a step in progress
 *   whose lease expired (its worker died). The task's state is a scalar subquery, not a join,
 *   so that the plan walks `steps_ready_idx` in order and stops at the batch size whatever the
 *   statistics say (a join let a generic plan read every task in progress);
 * - `for no key update of s skip locked` lets many workers claim side by side without waiting
 *   (`no key`: it never conflicts with the key-share locks that inserting transitions takes on
 *   the rows they reference);
 * - each claim bumps `attempts` and the fencing token `lease_token`, and sets the lease;
 * - the transitions are recorded by the same statement (a lease takeover records
 *   `in_progress → pending` then `pending → in_progress`);
 * - each claimed step comes with its satisfied parents' results, by name (a skipped parent
 *   has none), so that a claim is one round trip; they are joined from the claimed rows, so
 *   that each parent is found through its key;
 * - it also returns when the next step becomes claimable (`next_ready_at`: the earliest
 *   `ready_at` after now, a retry's `nextAttemptAt` or a running step's lease expiry), always
 *   in one row at least: a row whose `id` is null carries only that.
 *
 * $1 now, $2 batch size, $3 worker id, $4 lease (ms).
 */
export const claimSteps = sql(
  'claim_steps',
  `
with ready as (
  select s.id, s.state as from_state
  from tasker.steps s
  where s.ready_at <= $1::bigint
    and s.state in ('pending', 'waiting_for_retry', 'in_progress')
    and (select t.state from tasker.tasks t where t.id = s.task_id) = 'in_progress'
  order by s.ready_at, s.id
  limit $2::int
  for no key update of s skip locked
), claimed as (
  update tasker.steps s
  set state = 'in_progress', attempts = s.attempts + 1, lease_token = s.lease_token + 1, lease_owner = $3::text,
    lease_expires_at = $1::bigint + $4::bigint, ready_at = $1::bigint + $4::bigint, started_at = $1::bigint,
    ended_at = null, next_attempt_at = null
  from ready, tasker.tasks t
  where s.id = ready.id and t.id = s.task_id
  returning s.id, s.task_id, s.name, s.handler, s.position, s.attempts, s.retry_limit, s.retryable, s.lease_token,
    s.timeout_ms, s.inputs, ready.from_state, t.namespace, t.name as task_name, t.version, t.context,
    t.trace_context
), audit as (
  insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, reason, metadata, created_at)
  select x.task_id, x.id, x.name, x.from_state, x.to_state, x.reason, x.metadata, $1::bigint
  from (
    select c.task_id, c.id, c.name, 'in_progress' as from_state, 'pending' as to_state, 'lease_expired' as reason,
      '{}'::jsonb as metadata, 0 as ord
    from claimed c where c.from_state = 'in_progress'
    union all
    select c.task_id, c.id, c.name, case when c.from_state = 'in_progress' then 'pending' else c.from_state end,
      'in_progress', 'claimed', jsonb_build_object('worker', $3::text, 'attempt', c.attempts), 1
    from claimed c
  ) x
  order by x.id, x.ord
), parents as (
  select e.child_id, jsonb_object_agg(p.name, coalesce(p.results, 'null'::jsonb)) as results
  from claimed c
  join tasker.step_edges e on e.child_id = c.id
  join tasker.steps p on p.id = e.parent_id
  where p.state in ('complete', 'resolved_manually')
  group by e.child_id
)
select c.*, coalesce(p.results, '{}'::jsonb) as parent_results, n.next_ready_at
from (select min(s.ready_at) as next_ready_at from tasker.steps s where s.ready_at > $1::bigint) n
left join claimed c on true
left join parents p on p.child_id = c.id`,
);

/**
 * Extends the leases of steps still held with the given tokens; returns those still held. The
 * rows are locked in id order first, as a settle locks them, so the two never deadlock.
 */
export const renewLeases = sql(
  'renew_leases',
  `
with held as (
  select s.id from tasker.steps s
  join unnest($3::uuid[], $4::bigint[]) as u(id, token) on u.id = s.id
  where s.lease_token = u.token and s.state = 'in_progress'
  order by s.id
  for no key update of s
)
update tasker.steps s
set lease_expires_at = $1::bigint + $2::bigint, ready_at = $1::bigint + $2::bigint
from held
where s.id = held.id and s.state = 'in_progress'
returning s.id`,
);
