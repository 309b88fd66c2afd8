import { sql } from './query';

/**
 * Registers an engine process in the worker registry; returns its number (`seq`, the writer
 * of its transitions) and the transition sequence's current value (see `PublishLedger`).
 * $1 worker id, $2 hostname, $3 pid, $4 now, $5 heartbeat interval (ms), $6 whether it publishes events.
 */
export const registerWorker = sql(
  'register_worker',
  `
insert into tasker.workers (worker_id, hostname, pid, started_at, heartbeat_at, heartbeat_every_ms, publishes)
values ($1::text, $2::text, $3::int, $4::bigint, $4::bigint, $5::int, $6::boolean)
returning seq, (select case when is_called then last_value else last_value - 1 end from tasker.transitions_id_seq)
  as transitions_seq`,
);

/**
 * A heartbeat: the process is alive, what it runs, and how far its events are published.
 * A process thought dead that beats again is live again (its later events are recoverable).
 * $1 seq, $2 now, $3 running, $4 claim keys, $5 concurrency, $6 in flight, $7 published through.
 */
export const heartbeatWorker = sql(
  'heartbeat_worker',
  `
update tasker.workers
set heartbeat_at = $2::bigint, running = $3::boolean, claim_keys = $4::text[], concurrency = $5::int,
  in_flight = $6::int, published_through = greatest(published_through, $7::bigint), events_recovered = false
where seq = $1::int
returning seq, (select case when is_called then last_value else last_value - 1 end from tasker.transitions_id_seq)
  as transitions_seq`,
);

/**
 * A clean stop. `$4`: every event it wrote is published, nothing is left to recover; otherwise
 * recovery republishes what it wrote after its watermark `$3`. $1 seq, $2 now.
 */
export const stopWorker = sql(
  'stop_worker',
  `
update tasker.workers
set stopped_at = $2::bigint, heartbeat_at = $2::bigint, running = false, in_flight = 0, claim_keys = '{}',
  published_through = greatest(published_through, $3::bigint), events_recovered = $4::boolean
where seq = $1::int`,
);

/**
 * Locks one process whose events may be unpublished: no heartbeat for three of its intervals
 * (and at least `$2` ms), and not recovered (it died, or stopped with writes open). `skip
 * locked`: two recovering processes take different ones. $1 now, $2 minimum silence (ms).
 */
export const lockDeadWriter = sql(
  'lock_dead_writer',
  `
select seq, worker_id, published_through
from tasker.workers
where not events_recovered and publishes
  and heartbeat_at < $1::bigint - greatest(3 * heartbeat_every_ms, $2::bigint)
order by seq
limit 1
for update skip locked`,
);

/**
 * The transitions a dead process wrote after its watermark, in order, with what their events
 * need (the task's fields, the step's retry limit and start). $1 writer, $2 watermark.
 */
export const unpublishedTransitions = sql(
  'unpublished_transitions',
  `
select r.id, r.task_id, r.step_id, r.step_name, r.from_state, r.to_state, r.reason, r.metadata, r.created_at,
  t.namespace, t.name as task_name, t.version, t.trace_context, t.created_at as task_created_at,
  s.retry_limit, s.started_at
from tasker.transitions r
join tasker.tasks t on t.id = r.task_id
left join tasker.steps s on s.id = r.step_id
where r.id > $2::bigint and r.writer = $1::int
order by r.id`,
);

/** Marks a dead process's events as republished. $1 seq. */
export const markRecovered = sql(
  'mark_writer_recovered',
  'update tasker.workers set events_recovered = true where seq = $1::int',
);

/**
 * Processes seen within `$2` ms (live, or stopped that recently), newest first, for the API and
 * for `waitingReason`. $1 now, $2 window (ms).
 */
export const recentWorkers = sql(
  'recent_workers',
  `
select seq, worker_id, hostname, pid, started_at, heartbeat_at, heartbeat_every_ms, stopped_at, running, claim_keys,
  concurrency, in_flight
from tasker.workers
where heartbeat_at >= $1::bigint - $2::bigint
order by heartbeat_at desc, seq desc`,
);

/** Forgets processes not seen for `$2` ms whose events need nothing more. $1 now, $2 age (ms). */
export const pruneWorkers = sql(
  'prune_workers',
  `
delete from tasker.workers
where heartbeat_at < $1::bigint - $2::bigint and (events_recovered or not publishes)`,
);
