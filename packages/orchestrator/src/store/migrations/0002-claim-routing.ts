/**
 * Migration 2: capability routing, the worker registry, and steps that leave the claim indexes
 * when their task stops running.
 *
 * - `steps.queue` and `steps.claim_key`: a worker claims only steps whose key it registered
 *   (`<queue> <namespace>/<name>@<version>`, see `claimKey`). Steps written by a 0.1 engine get
 *   the empty key, which every worker also claims: 0.1 workers and this one share a database
 *   during a rolling deploy. Only unfinished steps are backfilled (finished ones are never
 *   claimed), so the update touches the live part of the table only.
 * - `steps_claim_idx` (ready steps) and `steps_lease_idx` (running steps, by lease expiry): a
 *   claim walks one range of each per key, in claim order, and stops at its batch size.
 *   `steps_ready_idx` stays for 0.1 workers' claim statement during a rolling deploy.
 *   The two indexes are built inside the migration's transaction, which blocks writes to
 *   `tasker.steps` while they build (a scan of the table; seconds for millions of rows): the
 *   migration runs under one advisory lock so that concurrent starts apply it once, and
 *   `create index concurrently` cannot run in a transaction.
 * - A trigger on `tasks.state`: a task that leaves `in_progress` takes its steps out of the
 *   claim indexes (`ready_at = null`) in the same statement; one that comes back (a retry)
 *   puts them back as their state says. So errored tasks cost claims nothing.
 * - `tasker.workers`: every engine process, its heartbeat and what it runs (its claim keys),
 *   for the API, insights and `waitingReason`.
 * - `transitions.writer`: the registry number of the process that wrote a transition, so that
 *   another process republishes the events of one that died before publishing them.
 */
export const migration0002 = {
  id: 2,
  name: 'claim-routing',
  sql: `
alter table tasker.steps add column queue text not null default 'default';
alter table tasker.steps add column claim_key text not null default '';

update tasker.steps s
set claim_key = s.queue || ' ' || t.namespace || '/' || t.name || '@' || t.version
from tasker.tasks t
where t.id = s.task_id and s.state in ('pending', 'waiting_for_retry', 'in_progress');

update tasker.steps s set ready_at = null
from tasker.tasks t
where t.id = s.task_id and t.state <> 'in_progress' and s.ready_at is not null;

create index steps_claim_idx on tasker.steps (claim_key, ready_at, id)
  where ready_at is not null and state <> 'in_progress';
create index steps_lease_idx on tasker.steps (claim_key, ready_at, id) where state = 'in_progress';

-- The claim's two walks, one key at a time, locked as they go (\`skip locked\`) and stopped at
-- \`n\` rows. They are functions so that their plan can be pinned: sorting and bitmap scans are
-- off inside them, so the planner walks the index in claim order whatever the statistics say
-- (on a table never analyzed it otherwise reads and sorts every due step of the key).
create function tasker.claimable_ready(k text, now_ms bigint, n int)
  returns table (id uuid, from_state text, ready_at bigint)
  language plpgsql volatile set enable_sort = off set enable_bitmapscan = off
as $fn$
begin
  return query
  select s.id, s.state, s.ready_at
  from tasker.steps s
  where s.claim_key = k and s.state <> 'in_progress' and s.ready_at <= now_ms
    and (select t.state from tasker.tasks t where t.id = s.task_id) = 'in_progress'
  order by s.ready_at, s.id
  limit n
  for no key update of s skip locked;
end
$fn$;

create function tasker.claimable_expired(k text, now_ms bigint, n int)
  returns table (id uuid, from_state text, ready_at bigint)
  language plpgsql volatile set enable_sort = off set enable_bitmapscan = off
as $fn$
begin
  return query
  select s.id, s.state, s.ready_at
  from tasker.steps s
  where s.claim_key = k and s.state = 'in_progress' and s.ready_at <= now_ms
    and (select t.state from tasker.tasks t where t.id = s.task_id) = 'in_progress'
  order by s.ready_at, s.id
  limit n
  for no key update of s skip locked;
end
$fn$;

-- The satisfied parents' results of claimed steps, by name. The walks above are volatile, so
-- they may return a step made ready by a commit later than the claim statement's snapshot;
-- this function reads with a snapshot of its own, taken after them, so that it sees the
-- parents that commit completed.
create function tasker.parent_results(ids uuid[])
  returns table (child_id uuid, results jsonb)
  language plpgsql volatile
as $fn$
begin
  return query
  select e.child_id, jsonb_object_agg(p.name, coalesce(p.results, 'null'::jsonb))
  from unnest(ids) as c(id)
  join tasker.step_edges e on e.child_id = c.id
  join tasker.steps p on p.id = e.parent_id
  where p.state in ('complete', 'resolved_manually')
  group by e.child_id;
end
$fn$;

create function tasker.steps_follow_task() returns trigger language plpgsql as $fn$
begin
  if new.state = 'in_progress' then
    update tasker.steps s
    set ready_at = case
        when s.state = 'pending' and s.pending_parents = 0 then new.updated_at
        when s.state = 'waiting_for_retry' then s.next_attempt_at
        when s.state = 'in_progress' then s.lease_expires_at
      end
    where s.task_id = new.id and s.state in ('pending', 'waiting_for_retry', 'in_progress');
  else
    update tasker.steps s set ready_at = null where s.task_id = new.id and s.ready_at is not null;
  end if;
  return null;
end
$fn$;

create trigger tasks_steps_follow_state after update of state on tasker.tasks
  for each row
  when (old.state is distinct from new.state and new.state <> 'complete'
    and (old.state = 'in_progress' or new.state = 'in_progress'))
  execute function tasker.steps_follow_task();

create table tasker.workers (
  -- One row per engine process start; \`seq\` is the writer number of its transitions.
  seq integer generated always as identity primary key,
  worker_id text not null,
  hostname text not null,
  pid integer not null,
  started_at bigint not null,
  heartbeat_at bigint not null,
  heartbeat_every_ms integer not null,
  stopped_at bigint,
  running boolean not null default false,
  claim_keys text[] not null default '{}',
  concurrency integer not null default 0,
  in_flight integer not null default 0,
  -- It publishes lifecycle events (it has a router): only then are its events recovered.
  publishes boolean not null default false,
  -- Every transition it wrote with an id up to this one has had its events published.
  published_through bigint not null default 0,
  -- Nothing left to publish: it stopped cleanly, or another process republished its events.
  events_recovered boolean not null default false
);
create index workers_heartbeat_idx on tasker.workers (heartbeat_at);

alter table tasker.transitions add column writer integer;
`,
} as const;
