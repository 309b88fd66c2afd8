/**
 * The incumbent of the adapters-overhead benchmark: the same telemetry that Tasker's full stack
 * writes for the chain workload, wired by hand into one handler middleware, as a team that uses
 * OpenTelemetry, pino and prom-client directly (and no Tasker router or adapters) would write it:
 *
 * - spans: one `tasker.step.execution` span per attempt with the same eight attributes, run
 *   inside the handler's context, as the child of one `tasker.task.execution` root span per
 *   task (started at the task's first step, ended after its last);
 * - logs: one pino line per step and one per task, with the same fields as Tasker's lines
 *   (correlation id, task and step ids and names, attempt, duration, `trace_id`, `span_id`,
 *   `trace_flags`) and message;
 * - metrics: prom-client counters of steps and tasks by outcome, histograms of step and task
 *   duration, a gauge of steps in progress, with the same labels, through children bound once
 *   per label set (prom-client's fastest use). No exemplars: prom-client keeps them only in an
 *   OpenMetrics registry.
 *
 * It is written for this workload: a task ends when its last step (`s4`) completes. The same
 * provider, batch processor and null sinks as the Tasker stack, so both pay the same for export.
 */
import { context, ROOT_CONTEXT, type Span, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import type { TracedStepInfo, TracingMiddleware } from '@tasker/adapters/otel';
import type pino from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LAST_STEP = 's4';

interface OpenTask {
  readonly root: Span;
  readonly context: ReturnType<typeof trace.setSpan>;
  readonly startedAt: number;
}

interface StepChildren {
  readonly completed: Counter.Internal;
  readonly failed: Counter.Internal;
  readonly duration: Histogram.Internal<string>;
  readonly inProgress: Gauge.Internal<string>;
}

export interface HandWiredTelemetry {
  readonly middleware: TracingMiddleware;
  /** Steps counted by the prom-client counter. */
  stepsCounted(): Promise<number>;
}

const hex2 = (flags: number) => (flags === 1 ? '01' : flags.toString(16).padStart(2, '0'));

export function createHandWiredTelemetry(tracer: Tracer, logger: pino.Logger): HandWiredTelemetry {
  const registry = new Registry();
  const registers = [registry];
  const stepLabels = ['namespace', 'name', 'version', 'step'];
  const taskLabels = ['namespace', 'name', 'version'];
  const steps = new Counter({
    name: 'hand_steps_total',
    help: 'Step attempts that ended, by outcome.',
    labelNames: [...stepLabels, 'outcome'],
    registers,
  });
  const stepDuration = new Histogram({
    name: 'hand_step_duration_seconds',
    help: 'Time a step attempt’s handler ran, in seconds.',
    labelNames: stepLabels,
    registers,
  });
  const inProgress = new Gauge({
    name: 'hand_steps_in_progress',
    help: 'Steps this process is running now.',
    labelNames: stepLabels,
    registers,
  });
  const tasks = new Counter({
    name: 'hand_tasks_total',
    help: 'Tasks that ended, by outcome.',
    labelNames: [...taskLabels, 'outcome'],
    registers,
  });
  const taskDuration = new Histogram({
    name: 'hand_task_duration_seconds',
    help: 'Time from a task’s first step to its end, in seconds.',
    labelNames: taskLabels,
    registers,
  });
  const children = new Map<string, StepChildren>();
  const childrenOf = (namespace: string, name: string, version: string, step: string): StepChildren => {
    const key = `${namespace}\u0000${name}\u0000${version}\u0000${step}`;
    let c = children.get(key);
    if (c === undefined) {
      c = {
        completed: steps.labels(namespace, name, version, step, 'completed'),
        failed: steps.labels(namespace, name, version, step, 'failed'),
        duration: stepDuration.labels(namespace, name, version, step),
        inProgress: inProgress.labels(namespace, name, version, step),
      };
      children.set(key, c);
    }
    return c;
  };
  const open = new Map<string, OpenTask>();

  const openTask = (step: TracedStepInfo): OpenTask => {
    const root = tracer.startSpan(
      'tasker.task.execution',
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'tasker.task_id': step.taskId,
          'tasker.namespace': step.namespace,
          'tasker.task_name': step.taskName,
          'tasker.task_version': step.version,
        },
      },
      ROOT_CONTEXT,
    );
    const task = { root, context: trace.setSpan(ROOT_CONTEXT, root), startedAt: performance.now() };
    open.set(step.taskId, task);
    return task;
  };

  const middleware: TracingMiddleware = (step, run) => {
    const task = open.get(step.taskId) ?? openTask(step);
    const span = tracer.startSpan(
      'tasker.step.execution',
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'tasker.task_id': step.taskId,
          'tasker.namespace': step.namespace,
          'tasker.task_name': step.taskName,
          'tasker.task_version': step.version,
          'tasker.step_id': step.stepId,
          'tasker.step_name': step.stepName,
          'tasker.attempt': step.attempt,
          'tasker.retry_limit': step.retryLimit,
        },
      },
      task.context,
    );
    const c = childrenOf(step.namespace, step.taskName, step.version, step.stepName);
    c.inProgress.inc();
    const started = performance.now();
    const line = (durationMs: number) => {
      const s = span.spanContext();
      return {
        event: 'step.completed',
        taskId: step.taskId,
        namespace: step.namespace,
        taskName: step.taskName,
        version: step.version,
        stepId: step.stepId,
        stepName: step.stepName,
        attempt: step.attempt,
        retryLimit: step.retryLimit,
        durationMs,
        correlationId: step.taskId,
        trace_id: s.traceId,
        span_id: s.spanId,
        trace_flags: hex2(s.traceFlags),
      };
    };
    return context.with(trace.setSpan(task.context, span), run).then(
      (result) => {
        const ms = performance.now() - started;
        span.end();
        c.inProgress.dec();
        c.completed.inc();
        c.duration.observe(ms / 1000);
        logger.info(
          line(ms),
          `step ${step.stepName} completed (attempt ${step.attempt}/${step.retryLimit + 1}) in ${Math.round(ms)} ms`,
        );
        if (step.stepName === LAST_STEP) {
          const taskMs = performance.now() - task.startedAt;
          task.root.end();
          open.delete(step.taskId);
          tasks.labels(step.namespace, step.taskName, step.version, 'completed').inc();
          taskDuration.labels(step.namespace, step.taskName, step.version).observe(taskMs / 1000);
          const r = task.root.spanContext();
          logger.info(
            {
              event: 'task.completed',
              taskId: step.taskId,
              namespace: step.namespace,
              taskName: step.taskName,
              version: step.version,
              durationMs: taskMs,
              correlationId: step.taskId,
              trace_id: r.traceId,
              span_id: r.spanId,
              trace_flags: hex2(r.traceFlags),
            },
            `task ${step.namespace}.${step.taskName}@${step.version} completed in ${Math.round(taskMs)} ms`,
          );
        }
        return result;
      },
      (thrown: unknown) => {
        const ms = performance.now() - started;
        span.recordException(thrown instanceof Error ? thrown : String(thrown));
        span.end();
        c.inProgress.dec();
        c.failed.inc();
        c.duration.observe(ms / 1000);
        logger.error({ ...line(ms), event: 'step.failed' }, `step ${step.stepName} failed`);
        throw thrown;
      },
    );
  };

  return {
    middleware,
    async stepsCounted() {
      const m = await steps.get();
      let n = 0;
      for (const v of m.values) n += v.value;
      return n;
    },
  };
}
