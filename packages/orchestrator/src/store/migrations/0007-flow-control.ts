/**
 * Migration 7: flow control (issue #14): a task may start later, run before others, and its
 * steps may be held to a concurrency limit or a rate limit per key.
 *
 * - `tasks.run_at`: a delayed start. The task's root steps are ready at `run_at` (their
 *   `ready_at`), not before; a task that leaves `in_progress` and comes back keeps it.
 * - `steps.priority` (the task's, or the step definition's own): the claim takes higher
 *   priority first. `steps_claim_idx` becomes `(claim_key, priority, ready_at, id)`: a claim
 *   walks each priority level present for its key (a skip scan, one index descent per level),
 *   each by `ready_at` and stopped at the batch size, and the engine orders what the walks found
 *   by `ready_at - priority × agingMs` (aging: a step counts one level higher for every
 *   `agingMs` it has been ready).
 * - Concurrency limits: `steps.concurrency_key` and `concurrency_limit`. A claim admits a step
 *   of a key only while fewer than the limit are `in_progress`, counted under a transaction-scoped
 *   advisory lock on the key (see `tasker.claim_admit` for the two locks and why they cannot
 *   deadlock). A step of a key at its limit is parked (`hold = 'concurrency'`): out of the claim
 *   index, so claims do not read past it again. A step of the key that leaves `in_progress`
 *   unparks as many as the key has room for (a deferred trigger), in claim order, and wakes idle
 *   workers.
 * - Rate limits: `steps.rate_key`, `rate_limit` starts per `rate_period_ms`, `rate_burst`. The
 *   key's row in `tasker.rate_limits` holds its theoretical arrival time (`tat`, GCRA): a start at
 *   `now` is admitted when `now ≥ tat − burst × T` (T = period / limit), and then
 *   `tat = max(tat, now) + T`. Any window of one period then holds at most limit + burst starts.
 *   A step refused is put back to the time a start would be admitted (`hold = 'rate'`).
 * - The walks of migration 2 are redefined for engines of the previous version still running
 *   during a rolling deploy: they claim only steps without a limit or hold, so an older engine
 *   never breaks a limit it does not know. Their index is gone (it would cost every claim a
 *   second index write), so their walks read their key's whole range: correct, slower; the
 *   README's upgrade notes say to keep that window short.
 *
 * The claim index is rebuilt inside the migration's transaction, which blocks writes to
 * `tasker.steps` while it builds (a scan of the table; seconds for millions of rows), as
 * migration 2 explains; the index itself holds only live steps.
 */
export const migration0007 = {
  id: 7,
  name: 'flow-control',
  sql: `
alter table tasker.tasks add column run_at bigint;
alter table tasker.tasks add column priority integer not null default 0;

alter table tasker.steps add column priority integer not null default 0;
alter table tasker.steps add column concurrency_key text;
alter table tasker.steps add column concurrency_limit integer;
alter table tasker.steps add column rate_key text;
alter table tasker.steps add column rate_limit integer;
alter table tasker.steps add column rate_period_ms integer;
alter table tasker.steps add column rate_burst integer;
-- Why a ready step is held back: 'concurrency' (parked until its key has room) or 'rate'
-- (put back to when its key admits a start). Cleared when it is claimed.
alter table tasker.steps add column hold text;

drop index tasker.steps_claim_idx;
create index steps_claim_idx on tasker.steps (claim_key, priority, ready_at, id)
  where ready_at is not null and state <> 'in_progress' and hold is distinct from 'concurrency';
create index steps_running_key_idx on tasker.steps (concurrency_key)
  where state = 'in_progress' and concurrency_key is not null;
create index steps_parked_idx on tasker.steps (concurrency_key, priority desc, ready_at, id)
  where hold = 'concurrency';
-- For the counts of held steps in /health/status (index ranges only).
create index steps_rate_held_idx on tasker.steps (ready_at) where hold = 'rate';
create index tasks_run_at_idx on tasker.tasks (run_at) where run_at is not null;

create table tasker.rate_limits (
  key text primary key,
  -- The theoretical arrival time of the next start (epoch ms, fractional).
  tat double precision not null default 0
);

-- The walks of a claim for key k (issue #14), locked as they go and stopped at n rows each:
-- running steps whose lease expired (lane 0), then, for each priority level present, highest
-- first, the ready steps by ready_at (lane 1). A last row (lane 2, no id) carries when the next
-- step of the key becomes claimable (a level's first step not yet due, or a lease expiring),
-- or nothing. Sorting and bitmap scans are off, as in migration 2, so each walk is an index walk.
create function tasker.claim_walk(k text, now_ms bigint, n int)
  returns table (id uuid, from_state text, ready_at bigint, priority int, lane int, ckey text, climit int,
    rkey text, rlimit int, rperiod int, rburst int)
  language plpgsql volatile set enable_sort = off set enable_bitmapscan = off
as $fn$
declare
  levels int[];
  upcoming bigint;
begin
  with recursive lv(p) as (
    (select s.priority from tasker.steps s
     where s.claim_key = k and s.ready_at is not null and s.state <> 'in_progress'
       and s.hold is distinct from 'concurrency'
     order by s.priority desc limit 1)
    union all
    select (select s.priority from tasker.steps s
            where s.claim_key = k and s.ready_at is not null and s.state <> 'in_progress'
              and s.hold is distinct from 'concurrency' and s.priority < lv.p
            order by s.priority desc limit 1)
    from lv where lv.p is not null
  )
  select array_agg(lv.p) filter (where lv.p is not null),
    least(
      min((select s.ready_at from tasker.steps s
           where s.claim_key = k and s.priority = lv.p and s.ready_at > now_ms and s.state <> 'in_progress'
             and s.hold is distinct from 'concurrency'
           order by s.ready_at limit 1)),
      (select min(s.ready_at) from tasker.steps s
       where s.claim_key = k and s.state = 'in_progress' and s.ready_at > now_ms))
  into levels, upcoming
  from lv;

  return query
  select s.id, s.state, s.ready_at, s.priority, 0, null::text, null::int, null::text, null::int, null::int, null::int
  from tasker.steps s
  where s.claim_key = k and s.state = 'in_progress' and s.ready_at <= now_ms
    and (select t.state from tasker.tasks t where t.id = s.task_id) = 'in_progress'
  order by s.ready_at, s.id
  limit n
  for no key update of s skip locked;

  if levels is not null then
    return query
    select w.id, w.state, w.ready_at, w.priority, 1, w.concurrency_key, w.concurrency_limit, w.rate_key,
      w.rate_limit, w.rate_period_ms, w.rate_burst
    from unnest(levels) as lv(p)
    cross join lateral (
      select s.id, s.state, s.ready_at, s.priority, s.concurrency_key, s.concurrency_limit, s.rate_key,
        s.rate_limit, s.rate_period_ms, s.rate_burst
      from tasker.steps s
      where s.claim_key = k and s.priority = lv.p and s.ready_at <= now_ms and s.state <> 'in_progress'
        and s.hold is distinct from 'concurrency'
        and (select t.state from tasker.tasks t where t.id = s.task_id) = 'in_progress'
      order by s.ready_at, s.id
      limit n
      for no key update of s skip locked
    ) w;
  end if;

  if upcoming is not null then
    return query select null::uuid, null::text, upcoming, null::int, 2, null::text, null::int, null::text,
      null::int, null::int, null::int;
  end if;
end
$fn$;
alter function tasker.claim_walk(text, bigint, int) rows 17;

-- Admits, in claim order, the candidates a claim found, up to n: a step without a limit as it
-- is; a step with a concurrency key while the key has room; a step with a rate key while its
-- bucket admits a start. Returns the admitted steps, and a row without an id whose retry_at
-- says when to claim again: now when a candidate was parked or left (more may be ready behind
-- it), else the earliest time a refused start is admitted.
--
-- Locks. A concurrency key K has two advisory locks (transaction-scoped):
-- - admit(K), class 1952538475, exclusive, taken by claims only, all of a claim's keys first and
--   in hash order: a claim counts K's steps in progress and admits under it, so two claims
--   never both see one slot free. Claims hold no other lock they could wait for (their rows
--   are skip-locked, park(K) is only tried), so claims waiting on each other cannot deadlock;
-- - park(K), class 1952538476: a claim tries it exclusively before it parks a step of a full
--   key, then counts again; a step of K that ends takes it shared at its commit (see
--   tasker.unpark_concurrency). So a claim parks only after every end it could have missed has
--   committed and been counted, or else the end's commit waits for the claim and then sees the
--   parked step and unparks it. A claim that cannot take it leaves the candidate for the next.
-- A rate key's bucket row is locked with skip locked; a candidate whose bucket another claim
-- holds is left for the next claim.
create function tasker.claim_admit(ids uuid[], from_states text[], lanes int[], ckeys text[], climits int[],
    rkeys text[], rlimits int[], rperiods int[], rbursts int[], n int, now_ms bigint)
  returns table (id uuid, from_state text, retry_at bigint)
  language plpgsql volatile
as $fn$
declare
  taken int := 0;
  retry bigint;
  keys text[];
  parking boolean[];
  running int[];
  admitted int[];
  bkeys text[] := '{}';
  btats double precision[] := '{}';
  bnext double precision[] := '{}';
  i int;
  j int;
  t double precision;
  due double precision;
begin
  select coalesce(array_agg(k order by hashtext(k), k), '{}') into keys
  from (select distinct k from unnest(ckeys) as u(k) where k is not null) d;
  for j in 1 .. coalesce(array_length(keys, 1), 0) loop
    perform pg_advisory_xact_lock(1952538475, hashtext(keys[j]));
  end loop;
  -- Counted after every lock is held, each with a snapshot of its own.
  select coalesce(array_agg((select count(*)::int from tasker.steps r
      where r.concurrency_key = k and r.state = 'in_progress') order by o), '{}')
  into running from unnest(keys) with ordinality as u(k, o);
  admitted := array_fill(0, array[coalesce(array_length(keys, 1), 0)]);
  parking := array_fill(null::boolean, array[coalesce(array_length(keys, 1), 0)]);

  for i in 1 .. coalesce(array_length(ids, 1), 0) loop
    exit when taken >= n;
    if lanes[i] <> 0 and ckeys[i] is not null then
      j := array_position(keys, ckeys[i]);
      if running[j] + admitted[j] >= climits[i] then
        if parking[j] is null then
          parking[j] := pg_try_advisory_xact_lock(1952538476, hashtext(keys[j]));
          if parking[j] then
            running[j] := (select count(*)::int from tasker.steps r
                           where r.concurrency_key = keys[j] and r.state = 'in_progress');
          end if;
        end if;
        if not parking[j] then
          retry := least(retry, now_ms + 5);
          continue;
        end if;
        if running[j] + admitted[j] >= climits[i] then
          update tasker.steps s set hold = 'concurrency' where s.id = ids[i];
          retry := now_ms;
          continue;
        end if;
      end if;
    end if;

    if lanes[i] <> 0 and rkeys[i] is not null then
      j := array_position(bkeys, rkeys[i]);
      if j is null then
        bkeys := bkeys || rkeys[i];
        j := array_length(bkeys, 1);
        btats := btats || (select r.tat from tasker.rate_limits r where r.key = rkeys[i]
                           for no key update skip locked);
        bnext := bnext || null::double precision;
      end if;
      if btats[j] is null then
        -- Another claim holds the key's bucket (or it has none yet): left for the next claim.
        retry := least(retry, now_ms + 5);
        continue;
      end if;
      t := rperiods[i]::double precision / rlimits[i];
      if now_ms < btats[j] - rbursts[i] * t then
        -- Refused: put back to when the bucket admits a start, behind the ones put back before.
        due := coalesce(bnext[j], btats[j] - rbursts[i] * t);
        bnext[j] := due + t;
        update tasker.steps s set hold = 'rate', ready_at = ceil(due)::bigint where s.id = ids[i];
        retry := least(retry, ceil(due)::bigint);
        continue;
      end if;
      btats[j] := greatest(btats[j], now_ms) + t;
    end if;

    if lanes[i] <> 0 and ckeys[i] is not null then
      j := array_position(keys, ckeys[i]);
      admitted[j] := admitted[j] + 1;
    end if;
    id := ids[i]; from_state := from_states[i]; retry_at := null;
    taken := taken + 1;
    return next;
  end loop;

  for j in 1 .. coalesce(array_length(bkeys, 1), 0) loop
    if btats[j] is not null then
      update tasker.rate_limits r set tat = btats[j] where r.key = bkeys[j] and r.tat <> btats[j];
    end if;
  end loop;

  if retry is not null then
    id := null; from_state := null; retry_at := retry;
    return next;
  end if;
end
$fn$;

-- Claims the admitted steps, returned in claim order: bumps their attempt and fencing token,
-- sets the lease, clears the hold. A function, so that its update reads with a snapshot taken after the walks: a walk may
-- find (and lock) the root step of a task committed after the claim statement began, which an
-- update in the statement's own snapshot cannot see; it would neither claim it nor let another
-- claim take it until this one commits.
create function tasker.claim_apply(ids uuid[], states text[], now_ms bigint, worker text, lease_ms bigint)
  returns table (id uuid, task_id uuid, name text, handler text, "position" int, attempts int, retry_limit int,
    retryable boolean, lease_token bigint, timeout_ms int, inputs jsonb, from_state text, namespace text,
    task_name text, version text, context jsonb, trace_context jsonb)
  language plpgsql volatile
as $fn$
#variable_conflict use_column
begin
  return query
  with c as (
    update tasker.steps s
    set state = 'in_progress', attempts = s.attempts + 1, lease_token = s.lease_token + 1, lease_owner = worker,
      lease_expires_at = now_ms + lease_ms, ready_at = now_ms + lease_ms, started_at = now_ms,
      ended_at = null, next_attempt_at = null, hold = null
    from unnest(ids, states) with ordinality as u(id, from_state, ord), tasker.tasks t
    where s.id = u.id and t.id = s.task_id
    returning s.id, s.task_id, s.name, s.handler, s.position, s.attempts, s.retry_limit, s.retryable,
      s.lease_token, s.timeout_ms, s.inputs, u.from_state, t.namespace, t.name as task_name, t.version, t.context,
      t.trace_context, u.ord
  )
  select c.id, c.task_id, c.name, c.handler, c.position, c.attempts, c.retry_limit, c.retryable, c.lease_token,
    c.timeout_ms, c.inputs, c.from_state, c.namespace, c.task_name, c.version, c.context, c.trace_context
  from c order by c.ord;
end
$fn$;
alter function tasker.claim_apply(uuid[], text[], bigint, text, bigint) rows 16;

-- A step of a concurrency key that leaves in_progress makes room. At its transaction's commit
-- (a deferred trigger: after every statement, so it holds nothing it could wait for while it
-- holds this), it takes the key's park lock shared, which waits only for a claim that is
-- parking a step of the key (claims never wait while they hold it) and keeps new parks out
-- until it commits; then, when parked steps of the key are there, it unparks as many as the key
-- has room for, in claim order (locked ones are left, to the next step that ends), and wakes
-- idle workers. Ends never wait on each other (the lock is shared), nor on claims that admit.
create function tasker.unpark_concurrency() returns trigger language plpgsql as $fn$
declare
  freed int;
begin
  perform pg_advisory_xact_lock_shared(1952538476, hashtext(new.concurrency_key));
  if not exists (select 1 from tasker.steps p
                 where p.concurrency_key = new.concurrency_key and p.hold = 'concurrency'
                   and p.ready_at is not null) then
    return null;
  end if;
  with room as (
    select greatest(0, new.concurrency_limit - (select count(*) from tasker.steps r
      where r.concurrency_key = new.concurrency_key and r.state = 'in_progress'))::int as n
  ), next_up as (
    select p.id from tasker.steps p
    where p.concurrency_key = new.concurrency_key and p.hold = 'concurrency' and p.ready_at is not null
    order by p.priority desc, p.ready_at, p.id
    limit (select n from room)
    for no key update skip locked
  ), unparked as (
    update tasker.steps s set hold = null from next_up where s.id = next_up.id returning s.id
  )
  select count(*) into freed from unparked;
  if freed > 0 then
    perform pg_notify('tasker_ready', '');
  end if;
  return null;
end
$fn$;

create constraint trigger steps_unpark_concurrency after update of state on tasker.steps
  deferrable initially deferred
  for each row
  when (old.state = 'in_progress' and new.state <> 'in_progress' and new.concurrency_key is not null)
  execute function tasker.unpark_concurrency();

-- A task coming back to in_progress puts its root steps back no earlier than its run_at, and
-- unparks its steps (a claim parks them again if their key is still full); one that leaves it
-- takes its steps out of the claim index and clears their holds.
create or replace function tasker.steps_follow_task() returns trigger language plpgsql as $fn$
begin
  if new.state = 'in_progress' then
    update tasker.steps s
    set ready_at = case
        when s.state = 'pending' and s.pending_parents = 0 then greatest(new.updated_at, coalesce(new.run_at, 0))
        when s.state = 'waiting_for_retry' then s.next_attempt_at
        when s.state = 'in_progress' then s.lease_expires_at
      end,
      hold = null
    where s.task_id = new.id and s.state in ('pending', 'waiting_for_retry', 'in_progress');
  else
    update tasker.steps s set ready_at = null, hold = null
    where s.task_id = new.id and (s.ready_at is not null or s.hold is not null);
  end if;
  return null;
end
$fn$;

-- The previous version's walks (engines not yet upgraded during a rolling deploy): steps
-- without a limit or hold only.
create or replace function tasker.claimable_ready(k text, now_ms bigint, n int)
  returns table (id uuid, from_state text, ready_at bigint)
  language plpgsql volatile set enable_sort = off set enable_bitmapscan = off
as $fn$
begin
  return query
  select s.id, s.state, s.ready_at
  from tasker.steps s
  where s.claim_key = k and s.state <> 'in_progress' and s.ready_at <= now_ms
    and s.hold is distinct from 'concurrency' and s.hold is null
    and s.concurrency_key is null and s.rate_key is null
    and (select t.state from tasker.tasks t where t.id = s.task_id) = 'in_progress'
  order by s.ready_at, s.id
  limit n
  for no key update of s skip locked;
end
$fn$;
`,
} as const;
