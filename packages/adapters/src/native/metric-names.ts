/**
 * The metrics the lifecycle metrics backends write, named by Prometheus conventions. The
 * `/native` and `/prom-client` backends use these names; `/otel` uses the OpenTelemetry names
 * of `OTEL_METRIC_NAMES`.
 */
export const METRIC_NAMES = Object.freeze({
  tasks: 'tasker_tasks_total',
  taskDuration: 'tasker_task_duration_seconds',
  steps: 'tasker_steps_total',
  stepDuration: 'tasker_step_duration_seconds',
  stepRetries: 'tasker_step_retries_total',
  stepsInProgress: 'tasker_steps_in_progress',
  retentionRemoved: 'tasker_retention_removed_total',
});

/** Help texts, shared by the Prometheus-named backends. */
export const METRIC_HELP = Object.freeze({
  tasks:
    'Tasks that ended, by outcome (completed, failed, cancelled, resolved_manually); scaled by 1/sampling rate.',
  taskDuration: 'Time from a task’s creation to its completion or failure, in seconds.',
  steps:
    'Step attempts that ended, by outcome (completed, failed, cancelled, resolved_manually, skipped); scaled by 1/sampling rate.',
  stepDuration: 'Time a step attempt’s handler ran, in seconds.',
  stepRetries:
    'Retries of steps (automatic after a retryable failure, or requested by hand); scaled by 1/sampling rate.',
  stepsInProgress: 'Steps this process is running now.',
  retentionRemoved:
    'Rows the retention sweep removed, by kind (tasks, transitions, identity_keys), and audit rows it archived (archived).',
});

export const TASK_LABELS = ['namespace', 'name', 'version'] as const;
export const STEP_LABELS = ['namespace', 'name', 'version', 'step'] as const;
