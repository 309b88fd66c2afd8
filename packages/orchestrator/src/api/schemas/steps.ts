/** Workflow step shapes (responses and the bodies of step operations). */
import { z } from '@hono/zod-openapi';
import { STEP_STATES } from '../../states/step-states';
import { idSchema, jsonValueSchema, optionalTimeSchema, timeSchema } from './common';

export const stepErrorSchema = z
  .object({ name: z.string(), message: z.string(), code: z.string().optional() })
  .openapi('StepError');

export const waitingReasonSchema = z
  .object({
    code: z.enum(['scheduled', 'concurrency', 'rate_limited', 'no_worker']).openapi({
      description:
        "`scheduled`: its task starts later (`run_at`); `concurrency`: its concurrency key has as many steps in progress as its limit; `rate_limited`: its rate limit admits its start later; `no_worker`: no live worker has registered the step's task version and queue.",
    }),
    message: z.string().openapi({ example: 'waiting for concurrency key context.customerId=42 (2/2)' }),
    until: optionalTimeSchema.openapi({ description: 'For `scheduled` and `rate_limited`: until when' }),
  })
  .openapi('WaitingReason');

export const stepSchema = z
  .object({
    workflow_step_id: idSchema('step'),
    task_id: idSchema('task'),
    name: z.string().openapi({ example: 'charge' }),
    handler: z.string(),
    status: z.enum(STEP_STATES),
    depends_on: z.array(z.string()),
    retryable: z.boolean(),
    retry_limit: z.number().int(),
    attempts: z.number().int(),
    skippable: z.boolean(),
    timeout_ms: z.number().int().nullable(),
    inputs: jsonValueSchema,
    results: jsonValueSchema,
    error: stepErrorSchema.nullable(),
    next_attempt_at: optionalTimeSchema,
    lease_owner: z.string().nullable(),
    lease_expires_at: optionalTimeSchema,
    started_at: optionalTimeSchema,
    ended_at: optionalTimeSchema,
    duration_ms: z.number().int().nullable(),
    created_at: timeSchema,
    queue: z.string().openapi({ description: 'The queue the step is claimed from.', example: 'default' }),
    priority: z.number().int().openapi({ description: 'Its claim priority (higher first)' }),
    concurrency: z
      .object({ key: z.string(), limit: z.number().int() })
      .nullable()
      .openapi({ description: 'Its concurrency limit, the key resolved from the context' }),
    rate_limit: z
      .object({
        key: z.string(),
        limit: z.number().int(),
        period_ms: z.number().int(),
        burst: z.number().int(),
      })
      .nullable()
      .openapi({ description: 'Its rate limit, the key resolved from the context' }),
    waiting_reason: waitingReasonSchema.nullable().openapi({
      description: 'Why a step that is ready to run does not: null when nothing holds it back.',
    }),
  })
  .openapi('WorkflowStep');

export const stepListSchema = z.object({ workflow_steps: z.array(stepSchema) }).openapi('WorkflowStepList');

const reason = z
  .string({ error: (i) => `expected a string, received ${typeof i.input}` })
  .max(2_000, { error: 'expected at most 2000 characters' });

export const stepUpdateSchema = z
  .strictObject({
    retry_limit: z
      .number({ error: (i) => `expected an integer from 0 to 1000, received ${JSON.stringify(i.input)}` })
      .int({ error: 'expected an integer from 0 to 1000' })
      .min(0, { error: 'expected an integer from 0 to 1000' })
      .max(1_000, { error: 'expected an integer from 0 to 1000' })
      .optional(),
    inputs: jsonValueSchema.optional(),
  })
  .refine((b) => b.retry_limit !== undefined || b.inputs !== undefined, {
    error: 'expected at least one of retry_limit or inputs',
  })
  .openapi('WorkflowStepUpdate');

export const stepActionSchema = z.strictObject({ reason: reason.optional() }).openapi('WorkflowStepAction');

export const stepResolveSchema = z
  .strictObject({
    result: jsonValueSchema.optional().openapi({ description: "The step's result, handed to its children" }),
    reason: reason.optional(),
  })
  .openapi('WorkflowStepResolve');
