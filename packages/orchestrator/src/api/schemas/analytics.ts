/** Analytics responses, computed in SQL: performance over time windows and bottlenecks. */
import { z } from '@hono/zod-openapi';
import { timeSchema } from './common';

const int = z.number().int();
const ms = z.number().nullable().openapi({ description: 'Milliseconds; null without data' });

export const performanceSchema = z
  .object({
    generated_at: timeSchema,
    windows: z.array(
      z.object({
        window: z.enum(['1h', '4h', '24h']),
        since: timeSchema,
        tasks: z.object({
          created: int,
          completed: int,
          failed: int,
          cancelled: int,
          completion_rate: z
            .number()
            .nullable()
            .openapi({ description: 'Completed / (completed + failed) among tasks finished in the window' }),
        }),
        throughput_per_hour: z.number().openapi({ description: 'Tasks completed per hour in the window' }),
        task_duration_ms: z.object({ avg: ms, p50: ms, p95: ms, max: ms }),
        steps: z.object({
          completed: int,
          failed: int,
          retried: int,
          avg_duration_ms: ms,
        }),
      }),
    ),
  })
  .openapi('AnalyticsPerformance');

const text = z.string().min(1).max(200, { error: 'expected at most 200 characters' });
const hoursWhat = 'expected an integer from 1 to 720';
const limitWhat = 'expected an integer from 1 to 50';

export const bottlenecksQuerySchema = z.object({
  namespace: text.optional(),
  name: text.optional(),
  version: text.optional(),
  period_hours: z.coerce
    .number({ error: (i) => `${hoursWhat}, received ${JSON.stringify(i.input)}` })
    .int({ error: hoursWhat })
    .min(1, { error: hoursWhat })
    .max(720, { error: hoursWhat })
    .default(24)
    .openapi({ type: 'integer' }),
  limit: z.coerce
    .number({ error: (i) => `${limitWhat}, received ${JSON.stringify(i.input)}` })
    .int({ error: limitWhat })
    .min(1, { error: limitWhat })
    .max(50, { error: limitWhat })
    .default(10)
    .openapi({ type: 'integer' }),
});

export const bottlenecksSchema = z
  .object({
    generated_at: timeSchema,
    since: timeSchema,
    filters: z.object({
      namespace: z.string().nullable(),
      name: z.string().nullable(),
      version: z.string().nullable(),
    }),
    slowest_tasks: z.array(
      z.object({
        task_id: z.string(),
        namespace: z.string(),
        name: z.string(),
        version: z.string(),
        status: z.string(),
        duration_ms: z.number(),
        step_count: int,
      }),
    ),
    slowest_steps: z.array(
      z.object({
        namespace: z.string(),
        task_name: z.string(),
        version: z.string(),
        step_name: z.string(),
        executions: int,
        avg_duration_ms: z.number(),
        p95_duration_ms: z.number(),
        max_duration_ms: z.number(),
        avg_attempts: z.number(),
        error_count: int,
      }),
    ),
    error_patterns: z.array(
      z.object({
        namespace: z.string(),
        task_name: z.string(),
        step_name: z.string(),
        error_name: z.string(),
        error_code: z.string().nullable(),
        occurrences: int,
        affected_tasks: int,
        last_seen_at: timeSchema,
        sample_message: z.string(),
      }),
    ),
  })
  .openapi('AnalyticsBottlenecks');
