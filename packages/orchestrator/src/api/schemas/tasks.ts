/** Task shapes: the submit, update and list requests and the task responses. */
import { z } from '@hono/zod-openapi';
import { MAX_PRIORITY, MIN_PRIORITY } from '../../definitions/flow-control';
import { TASK_STATES } from '../../states/task-states';
import {
  idSchema,
  jsonValueSchema,
  optionalTimeSchema,
  paginationSchema,
  queryInteger,
  timeSchema,
} from './common';
import { dependencyAnalysisSchema } from './dependency-analysis';
import { stepSchema } from './steps';

const text = (max: number) =>
  z
    .string({
      error: (i) => `expected a string, received ${i.input === undefined ? 'nothing' : typeof i.input}`,
    })
    .max(max, { error: `expected at most ${max} characters` });
const nonEmpty = (max: number) => text(max).min(1, { error: 'expected a non-empty string' });
const tags = z
  .array(nonEmpty(200), { error: 'expected an array of strings' })
  .max(100, { error: 'expected at most 100 tags' });

/** An ISO 8601 date-time with its offset (a request field or query parameter). */
const dateTime = z
  .string({ error: (i) => `expected an ISO 8601 date-time with its offset, received ${typeof i.input}` })
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
    error: 'expected an ISO 8601 date-time with its offset, such as 2026-12-24T18:00:00Z',
  })
  .refine((v) => Number.isFinite(Date.parse(v)), { error: 'expected a valid date-time' });

export const taskSchema = z
  .object({
    task_id: idSchema('task'),
    namespace: z.string().openapi({ example: 'shop' }),
    name: z.string().openapi({ example: 'checkout' }),
    version: z.string().openapi({ example: '1.0.0' }),
    status: z.enum(TASK_STATES),
    context: jsonValueSchema,
    initiator: z
      .string()
      .nullable()
      .openapi({ description: "Who submitted the task: the token's subject when authentication is on" }),
    requested_initiator: z
      .string()
      .nullable()
      .openapi({ description: 'The initiator the client sent when it was authenticated (kept apart)' }),
    owner: z.string().nullable().openapi({
      description: 'The authenticated principal that submitted the task (a token subject), or null',
    }),
    source_system: z.string().nullable(),
    reason: z.string().nullable(),
    tags: z.array(z.string()),
    annotations: z.record(z.string(), jsonValueSchema),
    identity_key: z.string().nullable(),
    bypass_steps: z.array(z.string()),
    created_at: timeSchema,
    updated_at: timeSchema,
    completed_at: optionalTimeSchema,
    run_at: optionalTimeSchema.openapi({
      description: 'A delayed start: its steps were not to start before this time (null: at once)',
    }),
    priority: z
      .number()
      .int()
      .openapi({ description: 'Higher is claimed first (its steps, unless one has its own)' }),
  })
  .openapi('Task');

export const transitionSchema = z
  .object({
    id: z.number().int(),
    workflow_step_id: z.string().nullable(),
    step_name: z.string().nullable(),
    from_state: z.string().nullable(),
    to_state: z.string(),
    reason: z.string().nullable(),
    metadata: z.record(z.string(), jsonValueSchema),
    created_at: timeSchema,
  })
  .openapi('Transition');

export const omittedValueSchema = z
  .object({
    field: z.string().openapi({
      description:
        '`context` (with the annotations), `steps[<name>]` (inputs, results, error) or `transitions`',
    }),
    bytes: z.number().int().optional().openapi({ description: 'Size as JSON text' }),
    count: z.number().int().optional().openapi({ description: 'For `transitions`: how many (the oldest)' }),
  })
  .openapi('OmittedValue');

export const taskDetailsSchema = taskSchema
  .extend({
    workflow_steps: z.array(stepSchema),
    transitions: z.array(transitionSchema),
    omitted: z.array(omittedValueSchema).openapi({
      description:
        "Values left out to keep the answer within the byte budget (`maxPageBytes`): a quarter for the context and annotations, half for the steps' inputs, results and errors (in step order), a quarter for the newest transitions. Left-out values are null. Usually empty.",
    }),
    dependency_analysis: dependencyAnalysisSchema.optional(),
  })
  .openapi('TaskDetails');

export const taskListItemSchema = taskSchema
  .omit({ context: true, annotations: true })
  .extend({
    context: jsonValueSchema.optional().openapi({ description: 'With `include=context` only' }),
    annotations: z
      .record(z.string(), jsonValueSchema)
      .optional()
      .openapi({ description: 'With `include=context` only' }),
  })
  .openapi('TaskListItem');

export const taskListSchema = z
  .object({ tasks: z.array(taskListItemSchema), pagination: paginationSchema })
  .openapi('TaskList');

export const createTaskSchema = z
  .strictObject({
    name: nonEmpty(200).openapi({ example: 'checkout' }),
    namespace: nonEmpty(200).optional().openapi({ description: 'Default "default"', example: 'shop' }),
    version: nonEmpty(100)
      .optional()
      .openapi({ description: 'Exact, "latest" or a semver range. Default "0.1.0"', example: '1.0.0' }),
    context: jsonValueSchema
      .optional()
      .openapi({ description: 'Default {}', example: { order_id: 'o-42', amount: 120 } }),
    initiator: text(200).optional(),
    source_system: text(200).optional(),
    reason: text(2_000).optional(),
    tags: tags.optional(),
    annotations: z.record(z.string(), jsonValueSchema, { error: 'expected an object' }).optional(),
    bypass_steps: z.array(nonEmpty(200), { error: 'expected an array of step names' }).max(1_000).optional(),
    identity_key: nonEmpty(500)
      .optional()
      .openapi({ description: 'Submitting the same key again answers 200 with the existing task' }),
    run_at: dateTime.optional().openapi({
      description:
        'Start no earlier than this time (by the database clock); a past time starts at once. Not with `delay_ms`',
      example: '2026-12-24T18:00:00Z',
    }),
    priority: z
      .number({ error: `expected an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}` })
      .int({ error: `expected an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}` })
      .min(MIN_PRIORITY, { error: `expected an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}` })
      .max(MAX_PRIORITY, { error: `expected an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}` })
      .optional()
      .openapi({ description: "Higher is claimed first; default the definition's, else 0" }),
  })
  .openapi('TaskCreate');

export const updateTaskSchema = z
  .strictObject({ reason: text(2_000).optional(), tags: tags.optional() })
  .refine((b) => b.reason !== undefined || b.tags !== undefined, {
    error: 'expected at least one of reason or tags',
  })
  .openapi('TaskUpdate');

/** Most tasks one page may hold. */
export const MAX_PAGE_SIZE = 100;
export const SORT_KEYS = ['created_at', 'updated_at', 'completed_at', 'namespace', 'name', 'status'] as const;

const statusList = z
  .string()
  .transform((s, ctx) => {
    const states = s.split(',').map((x) => x.trim());
    for (const state of states) {
      if (!(TASK_STATES as readonly string[]).includes(state)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected one or more of ${TASK_STATES.join(', ')} (comma-separated), received ${JSON.stringify(state)}`,
        });
        return z.NEVER;
      }
    }
    return states as (typeof TASK_STATES)[number][];
  })
  .openapi({ type: 'string', description: `Comma-separated states: ${TASK_STATES.join(', ')}` });

export const listTasksQuerySchema = z.object({
  namespace: text(200).optional(),
  name: text(200).optional(),
  version: text(100).optional(),
  status: statusList.optional(),
  created_from: dateTime.optional().openapi({
    description: 'Tasks created at or after this time',
    example: '2026-12-24T18:00:00Z',
  }),
  created_before: dateTime.optional().openapi({
    description: 'Tasks created before this time',
    example: '2026-12-25T00:00:00Z',
  }),
  limit: queryInteger(1, MAX_PAGE_SIZE).default(25).openapi({ type: 'integer' }),
  offset: queryInteger(0, 1_000_000)
    .default(0)
    .openapi({ type: 'integer', description: 'Rows to skip (kept for compatibility; page with `cursor`)' }),
  cursor: z
    .string({ error: 'expected a cursor' })
    .min(1, { error: 'expected a cursor from a previous page' })
    .max(2_048, { error: 'expected a cursor from a previous page' })
    .optional()
    .openapi({ description: "The previous page's `pagination.next_cursor`: this page starts after it" }),
  include: z
    .enum(['context'], { error: 'expected context' })
    .optional()
    .openapi({ description: "`context` adds each task's context and annotations" }),
  sort_by: z.enum(SORT_KEYS, { error: `expected one of ${SORT_KEYS.join(', ')}` }).default('created_at'),
  sort_order: z.enum(['asc', 'desc'], { error: 'expected asc or desc' }).default('desc'),
});

export const showTaskQuerySchema = z.object({
  include_dependencies: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .optional()
    .openapi({ description: 'Adds the runtime dependency analysis' }),
});
