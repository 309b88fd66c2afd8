import { sql } from './query';

/**
 * Claims up to `$2` ready steps for worker `$3`, atomically, in one statement, among the steps
 * whose claim key (`<queue> <namespace>/<name>@<version>`) is one of the worker's, `$5`:
 *
 * - per key, `tasker.claim_walk` (migration 7) walks the claim index in claim order: running
 *   steps whose lease expired (lane 0, taken over first: their work is the oldest), then each
 *   priority level present, highest first, by `ready_at` (lane 1: pending with parents
 *   satisfied and not before the task's `run_at`, or a retry now due). Each walk stops at the
 *   batch size, so a claim costs a few short index scans per key whatever lies in the table
 *   (errored tasks' steps are not in the index: a task that leaves `in_progress` clears their
 *   `ready_at`, and parked steps are out of it too). The walks' plans are pinned (no sort, no
 *   bitmap scan). The walk's last row (lane 2, no id) carries when the key's next step becomes
 *   claimable (a retry's `nextAttemptAt`, a delayed start, a lease expiring);
 * - `for no key update of s skip locked` lets many workers claim side by side without waiting
 *   (`no key`: it never conflicts with the key-share locks that inserting transitions takes on
 *   the rows they reference). A key's walks may lock a few rows that the final cut then
 *   leaves; they are free again when the statement commits;
 * - the candidates are ordered by lane, then `ready_at - priority × $7` (aging: a ready step
 *   counts one priority level higher for every `$7` ms it has waited; with `$7` 0, by priority
 *   then `ready_at`), then id, and cut at the
 *   batch size. When a candidate has a concurrency or rate limit, `tasker.claim_admit` makes the
 *   cut instead, in the same order, admitting only what the limits allow (it parks or puts
 *   back the rest, and says when to claim again);
 * - each claim bumps `attempts` and the fencing token `lease_token`, sets the lease, and clears
 *   the step's hold (`tasker.claim_apply`: its update reads with a snapshot taken after the
 *   walks, so that it sees every step they found, even one created after this statement began);
 * - the transitions are recorded by the same statement (a lease takeover records
 *   `in_progress → pending` then `pending → in_progress`), and their ids are returned with
 *   the step, for the events' ids: `first_id` and `last_id`, the same id when the claim
 *   recorded one transition (two scalars: cheaper to read than an array);
 * - each claimed step comes with its satisfied parents' results, by name (a skipped parent
 *   has none), so that a claim is one round trip. They are read by `tasker.parent_results`,
 *   with a snapshot taken after the walks: a walk may return a step made ready by a commit
 *   later than this statement's snapshot, whose parents that snapshot does not show complete;
 * - it also returns when the next step of these keys becomes claimable (`next_ready_at`),
 *   always in one row at least: a row whose `id` is null carries only that.
 *
 * $1 now, $2 batch size, $3 worker id, $4 lease (ms), $5 claim keys, $6 writer (registry number),
 * $7 the priority aging (ms per level; 0: strict priority).
 */
export const claimSteps = sql(
  'claim_steps',
  `
with keys as (
  select k from unnest($5::text[]) as k
), found as (
  select x.* from keys cross join lateral tasker.claim_walk(keys.k, $1::bigint, $2::int) x
), candidates as (
  select f.id, f.from_state, f.lane, f.ckey, f.climit, f.rkey, f.rlimit, f.rperiod, f.rburst,
    f.lane = 1 and (f.ckey is not null or f.rkey is not null) as limited,
    row_number() over (order by f.lane, case when $7::bigint = 0 then -f.priority end,
      f.ready_at - f.priority::bigint * $7::bigint, f.id) as ord
  from found f where f.lane < 2
), plain as (
  select c.id, c.from_state, null::bigint as retry_at, c.ord as pos
  from candidates c
  where not exists (select 1 from candidates l where l.limited)
  order by c.ord
  limit $2::int
), admitted as (
  select a.id, a.from_state, a.retry_at, a.pos
  from (select array_agg(c.id order by c.ord) as ids, array_agg(c.from_state order by c.ord) as states,
      array_agg(c.lane order by c.ord) as lanes, array_agg(c.ckey order by c.ord) as ckeys,
      array_agg(c.climit order by c.ord) as climits, array_agg(c.rkey order by c.ord) as rkeys,
      array_agg(c.rlimit order by c.ord) as rlimits, array_agg(c.rperiod order by c.ord) as rperiods,
      array_agg(c.rburst order by c.ord) as rbursts
    from candidates c) c
  cross join lateral tasker.claim_admit(c.ids, c.states, c.lanes, c.ckeys, c.climits, c.rkeys, c.rlimits,
    c.rperiods, c.rbursts, $2::int, $1::bigint) with ordinality as a(id, from_state, retry_at, pos)
  where exists (select 1 from candidates l where l.limited)
), picked as (
  select * from plain union all select * from admitted
), ready as (
  select p.id, p.from_state, p.pos from picked p where p.id is not null
), claimed as (
  select a.*, row_number() over () as ord from tasker.claim_apply((select array_agg(r.id order by r.pos) from ready r),
    (select array_agg(r.from_state order by r.pos) from ready r),
    $1::bigint, $3::text, $4::bigint) a
), audit as (
  insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, reason, metadata, created_at,
    writer)
  select x.task_id, x.id, x.name, x.from_state, x.to_state, x.reason, x.metadata, $1::bigint, $6::int
  from (
    select c.task_id, c.id, c.name, 'in_progress' as from_state, 'pending' as to_state, 'lease_expired' as reason,
      jsonb_build_object('attempt', c.attempts) as metadata, 0 as ord
    from claimed c where c.from_state = 'in_progress'
    union all
    select c.task_id, c.id, c.name, case when c.from_state = 'in_progress' then 'pending' else c.from_state end,
      'in_progress', 'claimed', jsonb_build_object('worker', $3::text, 'attempt', c.attempts), 1
    from claimed c
  ) x
  order by x.id, x.ord
  returning id, step_id
), upcoming as (
  select least((select min(f.ready_at) from found f where f.lane = 2),
    (select min(p.retry_at) from picked p where p.id is null)) as next_ready_at
)
select c.*, n.next_ready_at, coalesce(pr.results, '{}'::jsonb) as parent_results, a.first_id, a.last_id
from upcoming n
left join claimed c on true
left join tasker.parent_results(array(select id from claimed)) pr on pr.child_id = c.id
left join (select step_id, min(id) as first_id, max(id) as last_id from audit group by step_id) a
  on a.step_id = c.id
order by c.ord`,
);

/**
 * Extends the leases of steps still held with the given tokens; returns those still held. A step
 * whose task stopped running keeps `ready_at` null (out of the claim indexes). The
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
set lease_expires_at = $1::bigint + $2::bigint,
  ready_at = case when s.ready_at is null then null else $1::bigint + $2::bigint end
from held
where s.id = held.id and s.state = 'in_progress'
returning s.id`,
);

/**
 * Gives up the leases of steps this worker stopped running (it is shutting down, and their
 * handlers returned): each is claimable at once, taken over first by the next claim (which
 * records `in_progress → pending` and the new claim), and idle workers are woken.
 * $1 now, $2 step ids, $3 tokens, $4 the channel to notify, $5 the payload.
 */
export const releaseLeases = sql(
  'release_leases',
  `
with held as (
  select s.id from tasker.steps s
  join unnest($2::uuid[], $3::bigint[]) as u(id, token) on u.id = s.id
  where s.lease_token = u.token and s.state = 'in_progress'
  order by s.id
  for no key update of s
), released as (
  update tasker.steps s
  set lease_expires_at = $1::bigint,
    ready_at = case when s.ready_at is null then null else $1::bigint end
  from held
  where s.id = held.id
  returning s.id
), wake as (
  select pg_notify($4::text, $5::text) where exists (select 1 from released)
)
select s.id from released s left join wake on true`,
);

/**
 * The claim keys of every step that is or will be claimable (for a claim that names no keys):
 * read from the claim's two partial indexes, which hold only live steps.
 */
export const claimKeysInUse = sql(
  'claim_keys_in_use',
  `select claim_key from tasker.steps
where ready_at is not null and state <> 'in_progress' and hold is distinct from 'concurrency'
union
select claim_key from tasker.steps where state = 'in_progress'`,
);
