import { sql } from './query';

/**
 * The next due schedule, locked for this transaction: not paused, its next slot at or before
 * `$1` (now), not one of `$2` (the names this tick already left to other engines), the most
 * overdue first. `skip locked`: a schedule another worker is firing is not waited for, and not
 * fired twice; that worker's commit moves its `next_at` past now.
 */
export const claimDueSchedule = sql(
  'schedule_claim_due',
  `
select * from tasker.schedules
where not paused and next_at <= $1::bigint and not (name = any($2::text[]))
order by next_at, name
limit 1
for update skip locked`,
);

/**
 * Records a firing: every slot up to `$2` is fired or skipped, the next is `$3`; the last slot
 * fired `$4` and its task `$5` (null: unchanged), `$6` tasks created and `$7` slots skipped
 * more, the last error `$8` (null clears it), at `$9` by `$10`. $1 the name.
 */
export const advanceSchedule = sql(
  'schedule_advance',
  `
update tasker.schedules set
  covered_until = greatest(covered_until, $2::bigint),
  next_at = $3::bigint,
  last_slot = coalesce($4::bigint, last_slot),
  last_task_id = coalesce($5::uuid, last_task_id),
  fired = fired + $6::int,
  skipped = skipped + $7::int,
  last_error = $8::text,
  updated_at = $9::bigint,
  updated_by = $10::text
where name = $1::text`,
);

/** When the earliest schedule that is not paused, and not one of `$1`, falls due (null: none). */
export const nextScheduleDue = sql(
  'schedule_next_due',
  'select min(next_at) as next_at from tasker.schedules where not paused and not (name = any($1::text[]))',
);

/** Every schedule, by name. */
export const listSchedules = sql('schedule_list', 'select * from tasker.schedules order by name');

/** One schedule by name ($1). */
export const getSchedule = sql('schedule_get', 'select * from tasker.schedules where name = $1::text');

/** One schedule by name ($1), locked for this transaction (a code definition's sync). */
export const lockSchedule = sql(
  'schedule_lock',
  'select * from tasker.schedules where name = $1::text for update',
);

/**
 * A new schedule, unless its name is taken (then no row comes back). $1 name, $2 source,
 * $3 definition version, $4 namespace, $5 task name, $6 task version, $7 cron, $8 time zone,
 * $9 context, $10 catch-up, $11 its limit, $12 paused, $13 covered until (its creation: no slot
 * before it fires), $14 next slot, $15 now, $16 by.
 */
export const insertSchedule = sql(
  'schedule_insert',
  `
insert into tasker.schedules (name, source, definition_version, namespace, task_name, task_version, cron, timezone,
  context, catch_up, catch_up_limit, paused, covered_until, next_at, created_at, updated_at, updated_by)
values ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::jsonb, $10::text,
  $11::int, $12::boolean, $13::bigint, $14::bigint, $15::bigint, $15::bigint, $16::text)
on conflict (name) do nothing
returning *`,
);

/**
 * A code definition replaces a schedule's definition; its pause and firing record stay. $1 to
 * $11 as `insertSchedule`, $12 the next slot after the covered one by the new expression,
 * $13 now, $14 by.
 */
export const redefineSchedule = sql(
  'schedule_redefine',
  `
update tasker.schedules set
  source = $2::text, definition_version = $3::text, namespace = $4::text, task_name = $5::text,
  task_version = $6::text, cron = $7::text, timezone = $8::text, context = $9::jsonb, catch_up = $10::text,
  catch_up_limit = $11::int, next_at = $12::bigint, updated_at = $13::bigint, updated_by = $14::text
where name = $1::text
returning *`,
);

/** Pauses ($2 true) or resumes ($2 false) a schedule, at $3 by $4; no row when there is none. */
export const setSchedulePaused = sql(
  'schedule_set_paused',
  `
update tasker.schedules set paused = $2::boolean, updated_at = $3::bigint, updated_by = $4::text
where name = $1::text
returning *`,
);

/** Removes a schedule ($1); no row when there is none. */
export const deleteSchedule = sql(
  'schedule_delete',
  'delete from tasker.schedules where name = $1::text returning *',
);
