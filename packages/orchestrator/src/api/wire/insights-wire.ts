/** Analytics → the API's snake_case JSON. */
import type { z } from 'zod';
import type { Bottlenecks, PerformanceWindow } from '../../store/store-insights';
import type { bottlenecksSchema, performanceSchema } from '../schemas/analytics';
import { iso } from './time';

export function performanceToWire(
  windows: readonly PerformanceWindow[],
  now: number,
): z.infer<typeof performanceSchema> {
  return {
    generated_at: iso(now),
    windows: windows.map((w) => {
      const finished = w.tasks.completed + w.tasks.failed;
      return {
        window: w.label as '1h' | '4h' | '24h',
        since: iso(w.since),
        tasks: { ...w.tasks, completion_rate: finished === 0 ? null : w.tasks.completed / finished },
        throughput_per_hour: w.tasks.completed / (w.spanMs / 3_600_000),
        task_duration_ms: w.taskDurationMs,
        steps: {
          completed: w.steps.completed,
          failed: w.steps.failed,
          retried: w.steps.retried,
          avg_duration_ms: w.steps.avgDurationMs,
        },
      };
    }),
  };
}

export function bottlenecksToWire(
  b: Bottlenecks,
  filters: { namespace?: string; name?: string; version?: string },
  since: number,
  now: number,
): z.infer<typeof bottlenecksSchema> {
  return {
    generated_at: iso(now),
    since: iso(since),
    filters: {
      namespace: filters.namespace ?? null,
      name: filters.name ?? null,
      version: filters.version ?? null,
    },
    slowest_tasks: b.slowestTasks.map((t) => ({
      task_id: t.taskId,
      namespace: t.namespace,
      name: t.name,
      version: t.version,
      status: t.state,
      duration_ms: t.durationMs,
      step_count: t.stepCount,
    })),
    slowest_steps: b.slowestSteps.map((s) => ({
      namespace: s.namespace,
      task_name: s.taskName,
      version: s.version,
      step_name: s.stepName,
      executions: s.executions,
      avg_duration_ms: s.avgDurationMs,
      p95_duration_ms: s.p95DurationMs,
      max_duration_ms: s.maxDurationMs,
      avg_attempts: s.avgAttempts,
      error_count: s.errorCount,
    })),
    error_patterns: b.errorPatterns.map((e) => ({
      namespace: e.namespace,
      task_name: e.taskName,
      step_name: e.stepName,
      error_name: e.errorName,
      error_code: e.errorCode,
      occurrences: e.occurrences,
      affected_tasks: e.affectedTasks,
      last_seen_at: iso(e.lastSeenAt),
      sample_message: e.sampleMessage,
    })),
  };
}
