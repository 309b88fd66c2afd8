/** Health responses: liveness, readiness with its checks, and the status summary. */
import { z } from '@hono/zod-openapi';
import { timeSchema } from './common';

export const liveSchema = z
  .object({ status: z.literal('alive'), checked_at: timeSchema })
  .openapi('HealthLive');

const checkSchema = z
  .object({
    status: z.enum(['pass', 'fail']),
    duration_ms: z.number().int(),
    message: z.string().optional(),
  })
  .openapi('HealthCheck');

export const readySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: checkSchema, migrations: checkSchema }),
    checked_at: timeSchema,
  })
  .openapi('HealthReady');

const count = z.number().int();

export const statusSchema = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    checked_at: timeSchema,
    tasks: z.object({
      total: count,
      pending: count,
      in_progress: count,
      complete: count,
      error: count,
      cancelled: count,
      resolved_manually: count,
    }),
    steps: z.object({
      total: count,
      pending: count,
      in_progress: count,
      waiting_for_retry: count,
      complete: count,
      error: count,
      cancelled: count,
      resolved_manually: count,
      skipped: count,
    }),
    retries: z.object({
      retried_steps: count.openapi({ description: 'Steps retried at least once (automatically or by hand)' }),
      total_retries: count.openapi({
        description: 'Retries: transitions to waiting_for_retry, and error → pending by hand',
      }),
      waiting_for_retry: count,
      exhausted_steps: count.openapi({ description: 'Steps in error after using every retry' }),
    }),
    error_rate: z.number().openapi({ description: 'Tasks in error / all tasks (0..1)' }),
    thresholds: z.object({ max_error_rate: z.number() }),
    worker: z.object({
      id: z.string(),
      state: z.string(),
      in_flight: count,
      completed: count,
    }),
    workers: z
      .array(
        z.object({
          worker_id: z.string(),
          hostname: z.string(),
          pid: count,
          started_at: timeSchema,
          heartbeat_at: timeSchema,
          live: z
            .boolean()
            .openapi({ description: 'Running, not stopped, and beating within three intervals' }),
          claims: z
            .array(
              z.object({ queue: z.string(), task: z.string().openapi({ example: 'shop/checkout@1.0.0' }) }),
            )
            .openapi({ description: 'What it runs: each task version and queue it claims from' }),
          concurrency: count,
          in_flight: count,
        }),
      )
      .openapi({
        description: 'Engine processes of the worker registry seen in the last minute, newest first',
      }),
  })
  .openapi('HealthStatus');
