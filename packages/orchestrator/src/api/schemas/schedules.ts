/**
 * Schedule shapes (issue #14): the add request, the schedule, the list, the name in the path.
 * Cron expressions and time zones are checked here (croner parses the expression), so a bad
 * one is a 400 naming its field.
 */
import { z } from '@hono/zod-openapi';
import { MAX_CATCH_UP_LIMIT, refineCron, scheduleSchemas } from '../../definitions/schedule-spec';
import { jsonValueSchema, optionalTimeSchema, timeSchema } from './common';

const text = (max: number) =>
  z
    .string({
      error: (i) => `expected a string, received ${i.input === undefined ? 'nothing' : typeof i.input}`,
    })
    .min(1, { error: 'expected a non-empty string' })
    .max(max, { error: `expected at most ${max} characters` });

const {
  name: scheduleNameSchema,
  cron: cronSchema,
  timezone: timezoneSchema,
  catchUp: catchUpSchema,
  catchUpLimit: catchUpLimitSchema,
} = scheduleSchemas(z);

export const scheduleNameParams = z.object({
  name: scheduleNameSchema.openapi({ example: 'nightly-report' }),
});

export const createScheduleSchema = z
  .strictObject({
    name: scheduleNameSchema.openapi({
      example: 'nightly-report',
      description: 'Unique among the schedules',
    }),
    cron: cronSchema.openapi({
      example: '0 30 2 * * *',
      description:
        '5 fields (minute hour day month weekday), 6 with seconds first, or a nickname such as @daily',
    }),
    timezone: timezoneSchema
      .optional()
      .openapi({ example: 'Europe/Berlin', description: 'IANA time zone. Default UTC' }),
    namespace: text(200)
      .optional()
      .openapi({ description: 'Of the task to submit. Default "default"', example: 'reports' }),
    task_name: text(200).openapi({ example: 'nightly' }),
    version: text(100).optional().openapi({
      description: 'Exact, "latest" or a semver range, resolved when each slot fires. Default "latest"',
    }),
    context: jsonValueSchema.optional().openapi({ description: "Each fired task's context. Default {}" }),
    catch_up: catchUpSchema.optional().openapi({
      description: 'Slots missed while no worker ran or while paused: none, latest (default) or all',
    }),
    catch_up_limit: catchUpLimitSchema.optional().openapi({
      description: `With catch_up all: the most recent missed slots that fire, 1 to ${MAX_CATCH_UP_LIMIT}. Default 100`,
    }),
    paused: z.boolean({ error: 'expected a boolean' }).optional().openapi({ description: 'Default false' }),
  })
  .superRefine((b, ctx) => refineCron({ cron: b.cron, timezone: b.timezone ?? 'UTC' }, ctx))
  .openapi('ScheduleCreate');

export const scheduleSchema = z
  .object({
    name: z.string(),
    source: z.enum(['code', 'api']).openapi({
      description:
        "code: a task definition's schedules (written when an engine starts); api: added at run time",
    }),
    definition_version: z
      .string()
      .nullable()
      .openapi({ description: 'For code: the version of the task definition that wrote it' }),
    namespace: z.string(),
    task_name: z.string(),
    task_version: z.string(),
    cron: z.string(),
    timezone: z.string(),
    context: jsonValueSchema,
    catch_up: z.enum(['none', 'latest', 'all']),
    catch_up_limit: z.number().int(),
    paused: z.boolean(),
    covered_until: timeSchema.openapi({ description: 'Every slot up to this time fired or was skipped' }),
    next_at: optionalTimeSchema.openapi({
      description: 'The next slot; null when the expression never fires again',
    }),
    last_slot: optionalTimeSchema.openapi({ description: 'The last slot that fired' }),
    last_task_id: z.string().nullable().openapi({ description: 'The task of the last slot that fired' }),
    fired: z.number().int().openapi({ description: 'Tasks the schedule created' }),
    skipped: z
      .number()
      .int()
      .openapi({ description: 'Slots it skipped (missed beyond its catch-up, or not submittable)' }),
    last_error: z.string().nullable().openapi({ description: 'Why its last firing could not submit a slot' }),
    created_at: timeSchema,
    updated_at: timeSchema,
    updated_by: z.string().nullable().openapi({ description: 'The engine process that last wrote it' }),
  })
  .openapi('Schedule');

export const scheduleListSchema = z.object({ schedules: z.array(scheduleSchema) }).openapi('ScheduleList');
