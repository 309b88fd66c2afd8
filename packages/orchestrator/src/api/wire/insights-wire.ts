/** Health counts and analytics → the API's snake_case JSON. */
import type { z } from 'zod';
import { isLiveWorker } from '../../engine/waiting-reason';
import { STEP_STATES } from '../../states/step-states';
import { TASK_STATES } from '../../states/task-states';
import type { Bottlenecks, HealthCounts, PerformanceWindow } from '../../store/store-insights';
import type { WorkerRecord } from '../../store/task-store';
import type { bottlenecksSchema, performanceSchema } from '../schemas/analytics';
import type { statusSchema } from '../schemas/health';
import { iso } from './time';

/** The original's threshold: unhealthy when more than half of the tasks are in error. */
export const MAX_ERROR_RATE = 0.5;

export function healthStatusToWire(
  counts: HealthCounts,
  worker: { id: string; state: string; inFlight: number; completed: number },
  now: number,
  workers: readonly WorkerRecord[] = [],
): z.infer<typeof statusSchema> {
  const tasks = Object.fromEntries(TASK_STATES.map((s) => [s, counts.tasks[s] ?? 0])) as Record<
    (typeof TASK_STATES)[number],
    number
  >;
  const steps = Object.fromEntries(STEP_STATES.map((s) => [s, counts.steps[s] ?? 0])) as Record<
    (typeof STEP_STATES)[number],
    number
  >;
  const taskTotal = Object.values(tasks).reduce((a, b) => a + b, 0);
  const stepTotal = Object.values(steps).reduce((a, b) => a + b, 0);
  const errorRate = taskTotal === 0 ? 0 : tasks.error / taskTotal;
  return {
    status: errorRate > MAX_ERROR_RATE ? 'unhealthy' : 'healthy',
    checked_at: iso(now),
    tasks: { total: taskTotal, ...tasks },
    steps: { total: stepTotal, ...steps },
    retries: {
      retried_steps: counts.retriedSteps,
      total_retries: counts.totalRetries,
      waiting_for_retry: steps.waiting_for_retry,
      exhausted_steps: counts.exhaustedSteps,
    },
    error_rate: errorRate,
    thresholds: { max_error_rate: MAX_ERROR_RATE },
    worker: { id: worker.id, state: worker.state, in_flight: worker.inFlight, completed: worker.completed },
    workers: workers.map((w) => ({
      worker_id: w.workerId,
      hostname: w.hostname,
      pid: w.pid,
      started_at: iso(w.startedAt),
      heartbeat_at: iso(w.heartbeatAt),
      live: isLiveWorker(w, now),
      claims: w.claimKeys
        .filter((k) => k !== '')
        .map((k) => ({ queue: k.slice(0, k.indexOf(' ')), task: k.slice(k.indexOf(' ') + 1) })),
      concurrency: w.concurrency,
      in_flight: w.inFlight,
    })),
  };
}

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
