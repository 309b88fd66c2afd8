/** Schedules ↔ the API's snake_case JSON (issue #14). */
import type { z } from 'zod';
import type { ScheduleSpec } from '../../engine/schedules';
import type { ScheduleRecord } from '../../store/store-schedules';
import type { createScheduleSchema, scheduleSchema } from '../schemas/schedules';
import { iso, isoOrNull } from './time';

export function scheduleToWire(s: ScheduleRecord): z.infer<typeof scheduleSchema> {
  return {
    name: s.name,
    source: s.source,
    definition_version: s.definitionVersion ?? null,
    namespace: s.namespace,
    task_name: s.taskName,
    task_version: s.taskVersion,
    cron: s.cron,
    timezone: s.timezone,
    context: s.context,
    catch_up: s.catchUp,
    catch_up_limit: s.catchUpLimit,
    paused: s.paused,
    covered_until: iso(s.coveredUntil),
    next_at: isoOrNull(s.nextAt),
    last_slot: isoOrNull(s.lastSlot),
    last_task_id: s.lastTaskId ?? null,
    fired: s.fired,
    skipped: s.skipped,
    last_error: s.lastError ?? null,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
    updated_by: s.updatedBy ?? null,
  };
}

export function scheduleSpecFromWire(b: z.infer<typeof createScheduleSchema>): ScheduleSpec {
  return {
    name: b.name,
    cron: b.cron,
    taskName: b.task_name,
    ...(b.timezone === undefined ? {} : { timezone: b.timezone }),
    ...(b.namespace === undefined ? {} : { namespace: b.namespace }),
    ...(b.version === undefined ? {} : { version: b.version }),
    ...(b.context === undefined ? {} : { context: b.context }),
    ...(b.catch_up === undefined ? {} : { catchUp: b.catch_up }),
    ...(b.catch_up_limit === undefined ? {} : { catchUpLimit: b.catch_up_limit }),
    ...(b.paused === undefined ? {} : { paused: b.paused }),
  };
}
