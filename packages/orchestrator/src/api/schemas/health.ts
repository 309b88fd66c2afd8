/** Health responses: liveness, readiness with its checks, and the status summary. */
import { z } from '@hono/zod-openapi';
import { timeSchema } from './common';

export const liveSchema = z
  .object({
    status: z.literal('alive'),
    checked_at: timeSchema,
    event_loop_delay_ms: z
      .object({ mean: z.number(), p99: z.number(), max: z.number() })
      .openapi({ description: 'Event-loop delay over the last 10 s window, sampled every 20 ms' }),
  })
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
    checks: z.object({
      database: checkSchema,
      migrations: checkSchema,
      workers: checkSchema.optional().openapi({
        description:
          'Present when this process runs workers: they run, and their claim loop turned within health.staleAfterMs',
      }),
    }),
    checked_at: timeSchema,
  })
  .openapi('HealthReady');

const count = z.number().int();

export const statusSchema = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    reasons: z.array(z.string()).openapi({ description: 'Why it is unhealthy; empty when healthy' }),
    checked_at: timeSchema.openapi({
      description: 'When this answer was computed (it is cached for thresholds.cache_ms)',
    }),
    window: z
      .object({ ms: count, since: timeSchema })
      .openapi({ description: 'The window of the counts and the error rate (health.windowMs)' }),
    tasks: z
      .object({
        created: count,
        pending: count,
        in_progress: count,
        complete: count,
        error: count,
        cancelled: count,
        resolved_manually: count,
      })
      .openapi({ description: 'Tasks created in the window, by their state now' }),
    attempts: z
      .object({
        ended: count.openapi({ description: 'Step attempts that ended in the window' }),
        failed: count.openapi({ description: 'Of them, failed (error or waiting_for_retry)' }),
        errored: count.openapi({ description: 'Of them, failed for good (error)' }),
      })
      .openapi({ description: 'Step attempts from the audit trail' }),
    retries: z.object({
      total: count.openapi({
        description: 'Retries in the window: to waiting_for_retry, or error → pending by hand',
      }),
      steps: count.openapi({ description: 'Steps retried in the window' }),
    }),
    error_rate: z.number().openapi({ description: 'attempts.failed / attempts.ended (0 when none ended)' }),
    queue: z.object({
      oldest_ready_at: timeSchema
        .nullable()
        .openapi({ description: 'Since when the longest-waiting claimable step waits' }),
      lag_ms: count.openapi({ description: 'How long it has waited (0 when nothing waits)' }),
      held: z.object({ scheduled: count, concurrency: count, rate_limited: count }).openapi({
        description:
          'Ready steps held back on purpose, by reason: a delayed start not yet come, a full concurrency key, a rate limit (they count in no lag)',
      }),
    }),
    database: z.object({
      answered: z.boolean(),
      pool: z
        .object({ max: count, open: count, idle: count, waiting: count })
        .nullable()
        .openapi({ description: "This process's connection pool (null on PGlite)" }),
    }),
    thresholds: z.object({
      max_error_rate: z.number(),
      min_attempts: count,
      max_queue_lag_ms: count.nullable(),
      stale_after_ms: count,
      cache_ms: count,
    }),
    worker: z.object({
      id: z.string(),
      state: z.string(),
      in_flight: count,
      completed: count,
      loop_age_ms: count
        .nullable()
        .openapi({ description: 'Since the claim loop last began a turn; null without workers' }),
    }),
    live_workers: count.openapi({ description: 'Engine processes of the registry that are live' }),
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
