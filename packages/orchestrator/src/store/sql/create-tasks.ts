import { sql } from './query';

/**
 * Creates a batch of tasks, with their steps, dependency edges and transitions, in one
 * statement (so one transaction and one round trip), and wakes idle workers once when any of
 * them has steps ready now or later. Each task is written as `create_task` writes one (see
 * `./create-task.ts`): the same columns, the same ready time, the same windowed identity keys.
 *
 * Why arrays and a task id on every row: `unnest` turns the per-task arrays into one row per
 * task (`input`), and the flattened arrays of steps, edges and transitions into one row per
 * step, edge and transition, each naming its task. Each of those joins `task`, the rows the task
 * insert returned, so that a task skipped by `on conflict do nothing` (its identity key is
 * taken, or this very batch committed before and is being retried) writes nothing else. A
 * task's tags and bypassed steps are lists of their own: they come as one JSON array per task.
 *
 * The caller sends no two tasks with the same identity key or windowed key (it keeps the first
 * and answers the others with its result), so `on conflict do update` never meets a row twice.
 * Windowed keys are claimed in key order and tasks inserted in identity-key order, so that two
 * batches racing for the same keys wait for each other in one order rather than deadlock.
 *
 * $1–$21, per task: ids, namespaces, names, versions, contexts, initiators, source systems,
 * reasons, tags (JSON arrays), annotations, identity keys, trace contexts, bypassed steps (JSON
 * arrays), unfinished steps, owners, requested initiators, windowed keys, their windows (ms),
 * delayed starts (or null), priorities, and whether creating it wakes workers;
 * $22–$41, per step: task ids, ids, names, handlers, positions, states, retryable, retry
 * limits, timeouts, skippable, pending parents, queues, claim keys, priorities, concurrency
 * keys, their limits, rate keys, their limits, periods (ms) and bursts;
 * $42–$44, per edge: task ids, parents, children;
 * $45–$51, per transition, in order: task ids, step ids (null for the task), step names, from,
 * to, reasons, metadata;
 * $52 now, $53 the writer (registry number, or null), $54 the channel to notify, $55 the
 * notification's payload.
 *
 * Returns one row: `created`, the ids of the tasks inserted; `transition_ids`, the ids of their
 * transitions in insertion order (the order of $45–$51, less the rows of tasks not inserted);
 * `existing`, per task in input order, null for a task inserted, else the task that holds its
 * id (an earlier attempt of this batch committed), its identity key, or its windowed key (one
 * whose window has not ended), as this statement's snapshot saw it. Null for a task neither
 * inserted nor found means that a concurrent transaction took its key while this statement ran:
 * `find_tasks` then finds the holder.
 */
export const createTasks = sql(
  'create_tasks',
  `
with input as (
  select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[],
    $8::text[], $9::jsonb[], $10::jsonb[], $11::text[], $12::jsonb[], $13::jsonb[], $14::int[], $15::text[],
    $16::text[], $17::text[], $18::bigint[], $19::bigint[], $20::int[], $21::bool[])
    with ordinality as i(id, namespace, name, version, context, initiator, source_system, reason, tags,
      annotations, identity_key, trace_context, bypass_steps, unfinished, owner, requested_initiator,
      window_key, window_ms, run_at, priority, wakes, ord)
), window_key as (
  insert into tasker.identity_windows (key, task_id, created_at, expires_at)
  select i.window_key, i.id, $52::bigint, $52::bigint + i.window_ms from input i
  where i.window_key is not null
  order by i.window_key
  on conflict (key) do update
    set task_id = excluded.task_id, created_at = excluded.created_at, expires_at = excluded.expires_at
    where tasker.identity_windows.expires_at <= excluded.created_at
  returning task_id
), task as (
  insert into tasker.tasks (id, namespace, name, version, state, context, initiator, source_system, reason,
    tags, annotations, identity_key, trace_context, bypass_steps, unfinished_steps, created_at, updated_at,
    completed_at, owner, requested_initiator, run_at, priority)
  select i.id, i.namespace, i.name, i.version, case when i.unfinished = 0 then 'complete' else 'in_progress' end,
    i.context, i.initiator, i.source_system, i.reason,
    array(select x.e from jsonb_array_elements_text(i.tags) with ordinality as x(e, n) order by x.n),
    i.annotations, i.identity_key, i.trace_context,
    array(select x.e from jsonb_array_elements_text(i.bypass_steps) with ordinality as x(e, n) order by x.n),
    i.unfinished, $52::bigint, $52::bigint, case when i.unfinished = 0 then $52::bigint end, i.owner,
    i.requested_initiator, i.run_at, i.priority
  from input i
  where i.window_key is null or i.id in (select task_id from window_key)
  order by i.identity_key, i.ord
  on conflict do nothing
  returning id, context, run_at
), steps as (
  insert into tasker.steps (id, task_id, name, handler, position, state, retryable, retry_limit, timeout_ms,
    skippable, inputs, pending_parents, ready_at, created_at, queue, claim_key, priority, concurrency_key,
    concurrency_limit, rate_key, rate_limit, rate_period_ms, rate_burst)
  select u.id, t.id, u.name, u.handler, u.position, u.state, u.retryable, u.retry_limit, u.timeout_ms,
    u.skippable, t.context, u.pending_parents,
    case when u.state = 'pending' and u.pending_parents = 0 then greatest($52::bigint, coalesce(t.run_at, 0)) end,
    $52::bigint, u.queue, u.claim_key, u.priority, u.concurrency_key, u.concurrency_limit, u.rate_key, u.rate_limit,
    u.rate_period_ms, u.rate_burst
  from unnest($22::uuid[], $23::uuid[], $24::text[], $25::text[], $26::int[], $27::text[], $28::bool[], $29::int[],
    $30::int[], $31::bool[], $32::int[], $33::text[], $34::text[], $35::int[], $36::text[], $37::int[], $38::text[],
    $39::int[], $40::int[], $41::int[]) as u(task_id, id, name, handler, position, state, retryable, retry_limit,
    timeout_ms, skippable, pending_parents, queue, claim_key, priority, concurrency_key, concurrency_limit, rate_key,
    rate_limit, rate_period_ms, rate_burst)
  join task t on t.id = u.task_id
), buckets as (
  insert into tasker.rate_limits (key)
  select distinct u.k from unnest($22::uuid[], $38::text[]) as u(task_id, k) join task t on t.id = u.task_id
  where u.k is not null
  order by u.k
  on conflict do nothing
), edges as (
  insert into tasker.step_edges (task_id, parent_id, child_id)
  select t.id, u.parent_id, u.child_id
  from unnest($42::uuid[], $43::uuid[], $44::uuid[]) as u(task_id, parent_id, child_id)
  join task t on t.id = u.task_id
), audit as (
  insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, reason, metadata, created_at,
    writer)
  select t.id, u.step_id, u.step_name, u.from_state, u.to_state, u.reason, u.metadata, $52::bigint, $53::int
  from unnest($45::uuid[], $46::uuid[], $47::text[], $48::text[], $49::text[], $50::text[], $51::jsonb[])
    with ordinality as u(task_id, step_id, step_name, from_state, to_state, reason, metadata, ord)
  join task t on t.id = u.task_id
  order by u.ord
  returning id
), wake as (
  select pg_notify($54::text, $55::text)
  where exists (select 1 from task t join input i on i.id = t.id where i.wakes)
)
select (select coalesce(array_agg(id), '{}') from task) as created,
  (select count(*) from wake)::int as woke,
  (select coalesce(array_agg(id order by id), '{}') from audit) as transition_ids,
  (select array_agg(
      case when i.id in (select id from task) then null else coalesce(
        (select o.id from tasker.tasks o where o.id = i.id),
        (select k.id from tasker.tasks k where k.identity_key = i.identity_key),
        (select w.task_id from tasker.identity_windows w where w.key = i.window_key and w.expires_at > $52::bigint))
      end order by i.ord)
    from input i) as existing`,
);

/**
 * Per task, in input order, the task holding its id, its identity key or its windowed key, for
 * the tasks `create_tasks` neither inserted nor found. $1 ids, $2 identity keys, $3 windowed keys.
 */
export const findTasks = sql(
  'find_tasks',
  `
select coalesce(
    (select o.id from tasker.tasks o where o.id = i.id),
    (select k.id from tasker.tasks k where k.identity_key = i.identity_key),
    (select w.task_id from tasker.identity_windows w where w.key = i.window_key)) as id
from unnest($1::uuid[], $2::text[], $3::text[]) with ordinality as i(id, identity_key, window_key, ord)
order by i.ord`,
);
