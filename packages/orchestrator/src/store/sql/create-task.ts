import { sql } from './query';

/**
 * Creates a task, its steps, its dependency edges and their transitions in one statement, and
 * wakes idle workers when steps are ready. Nothing is written when the task's id or identity
 * key exists already: the statement then returns no `id`, and the caller finds out which.
 *
 * A step with no unsatisfied parent is ready at once (`ready_at = now`), or at the task's
 * `run_at` when that is later; a task with no step left to run (every one bypassed) is
 * complete at once. A rate key gets its bucket row on first use.
 *
 * $1 task id, $2 namespace, $3 name, $4 version, $5 context, $6 initiator, $7 source system,
 * $8 reason, $9 tags, $10 annotations, $11 identity key, $12 trace context, $13 bypassed steps,
 * $14 unfinished steps, $15 now;
 * steps: $16 ids, $17 names, $18 handlers, $19 positions, $20 states, $21 retryable,
 * $22 retry limits, $23 timeouts, $24 skippable, $25 pending parents;
 * edges: $26 parents, $27 children;
 * transitions, in order: $28 step ids (null for the task), $29 step names, $30 from, $31 to,
 * $32 reasons, $33 metadata; $34 the channel to notify, or null when no step is ready; $35 the
 * notification's payload; $36 the steps' queues, $37 their claim keys; $38 the writer (the
 * registry number of this process, or null); $39 the owner (the authenticated principal), $40 the
 * initiator the client asked for (kept apart when $6 is the principal's); $41 a windowed identity key
 * (or null) and $42 its window (ms); $43 the delayed start (or null) and $44 the task's priority;
 * steps: $45 priorities, $46 concurrency keys, $47 their limits, $48 rate keys, $49 their limits,
 * $50 periods (ms) and $51 bursts.
 *
 * A windowed key is claimed first: inserted, or taken over from a task whose window has ended
 * (`expires_at <= now`). When another task still holds it, nothing is written. (The key's row
 * names the new task before the task row exists: foreign keys are checked at the statement's
 * end.)
 *
 * It returns the transitions' ids in insertion order (`transition_ids`).
 */
export const createTask = sql(
  'create_task',
  `
with window_key as (
  insert into tasker.identity_windows (key, task_id, created_at, expires_at)
  select $41::text, $1::uuid, $15::bigint, $15::bigint + $42::bigint where $41::text is not null
  on conflict (key) do update
    set task_id = excluded.task_id, created_at = excluded.created_at, expires_at = excluded.expires_at
    where tasker.identity_windows.expires_at <= excluded.created_at
  returning task_id
), task as (
  insert into tasker.tasks (id, namespace, name, version, state, context, initiator, source_system, reason,
    tags, annotations, identity_key, trace_context, bypass_steps, unfinished_steps, created_at, updated_at,
    completed_at, owner, requested_initiator, run_at, priority)
  select $1::uuid, $2::text, $3::text, $4::text, case when $14::int = 0 then 'complete' else 'in_progress' end,
    $5::jsonb, $6::text, $7::text, $8::text, $9::text[], $10::jsonb, $11::text, $12::jsonb, $13::text[], $14::int,
    $15::bigint, $15::bigint, case when $14::int = 0 then $15::bigint end, $39::text, $40::text, $43::bigint,
    $44::int
  where $41::text is null or exists (select 1 from window_key)
  on conflict do nothing
  returning id
), steps as (
  insert into tasker.steps (id, task_id, name, handler, position, state, retryable, retry_limit, timeout_ms,
    skippable, inputs, pending_parents, ready_at, created_at, queue, claim_key, priority, concurrency_key,
    concurrency_limit, rate_key, rate_limit, rate_period_ms, rate_burst)
  select u.id, task.id, u.name, u.handler, u.position, u.state, u.retryable, u.retry_limit, u.timeout_ms,
    u.skippable, $5::jsonb, u.pending_parents,
    case when u.state = 'pending' and u.pending_parents = 0 then greatest($15::bigint, coalesce($43::bigint, 0)) end,
    $15::bigint, u.queue, u.claim_key, u.priority, u.concurrency_key, u.concurrency_limit, u.rate_key, u.rate_limit,
    u.rate_period_ms, u.rate_burst
  from task, unnest($16::uuid[], $17::text[], $18::text[], $19::int[], $20::text[], $21::bool[], $22::int[],
    $23::int[], $24::bool[], $25::int[], $36::text[], $37::text[], $45::int[], $46::text[], $47::int[], $48::text[],
    $49::int[], $50::int[], $51::int[]) as u(id, name, handler, position, state, retryable, retry_limit, timeout_ms,
    skippable, pending_parents, queue, claim_key, priority, concurrency_key, concurrency_limit, rate_key, rate_limit,
    rate_period_ms, rate_burst)
), buckets as (
  insert into tasker.rate_limits (key)
  select distinct u.k from task, unnest($48::text[]) as u(k) where u.k is not null
  on conflict do nothing
), edges as (
  insert into tasker.step_edges (task_id, parent_id, child_id)
  select task.id, u.parent_id, u.child_id from task, unnest($26::uuid[], $27::uuid[]) as u(parent_id, child_id)
), audit as (
  insert into tasker.transitions (task_id, step_id, step_name, from_state, to_state, reason, metadata, created_at,
    writer)
  select task.id, u.step_id, u.step_name, u.from_state, u.to_state, u.reason, u.metadata, $15::bigint, $38::int
  from task, unnest($28::uuid[], $29::text[], $30::text[], $31::text[], $32::text[], $33::jsonb[])
    with ordinality as u(step_id, step_name, from_state, to_state, reason, metadata, ord)
  order by u.ord
  returning id
), wake as (
  select pg_notify($34::text, $35::text) from task where $34::text is not null
)
select (select id from task) as id, (select count(*) from wake)::int as woke,
  (select array_agg(id order by id) from audit) as transition_ids`,
);

/**
 * The task holding an id, an identity key or a windowed identity key, to tell a retried create
 * from a duplicate. $1 id, $2 identity key, $3 windowed key.
 */
export const findTask = sql(
  'find_task',
  `
select id from (
  select id, 0 as o from tasker.tasks where id = $1::uuid
  union all select id, 1 from tasker.tasks where identity_key = $2::text
  union all select task_id, 2 from tasker.identity_windows where key = $3::text
) found
order by o
limit 1`,
);
