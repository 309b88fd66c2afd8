import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import type { RoutedEvent } from '@tasker/router';
import { z } from 'zod';
import {
  bucketsSchema,
  DEFAULT_STEP_BUCKETS,
  DEFAULT_TASK_BUCKETS,
  metricsBackendShape,
} from '../shared/backend-options';
import {
  LifecycleMetrics,
  type LifecycleMetricsSink,
  type MetricsBackendStats,
  type StepLabels,
  type StepOutcome,
  type StepSeries,
  type TaskLabels,
  type TaskOutcome,
  type TaskSeries,
} from '../shared/lifecycle-metrics';
import { parseOptions } from '../shared/parse-options';
import { defaultWarn } from '../shared/warn-once';
import type { MetricsBackend } from './metrics-backend';

/** The instruments the OpenTelemetry metrics backend creates on your meter. */
export const OTEL_METRIC_NAMES = Object.freeze({
  tasks: 'tasker.tasks',
  taskDuration: 'tasker.task.duration',
  steps: 'tasker.steps',
  stepDuration: 'tasker.step.duration',
  stepRetries: 'tasker.step.retries',
  stepsInProgress: 'tasker.steps.in_progress',
  retentionRemoved: 'tasker.retention.removed',
});

/** Options of {@link createOtelMetricsBackend}. */
export interface OtelMetricsBackendOptions {
  /** Your meter, e.g. `meterProvider.getMeter('tasker')`. */
  readonly meter: Meter;
  /** The backend's name (what router mappings list). Default `metrics`. */
  readonly name?: string;
  /** Most distinct task (and step) attribute sets with a series of their own. Default 1000. */
  readonly labelSetLimit?: number;
  /** Bucket advice for `tasker.task.duration` (seconds). */
  readonly taskBuckets?: readonly number[];
  /** Bucket advice for `tasker.step.duration` (seconds). */
  readonly stepBuckets?: readonly number[];
  readonly warn?: (message: string) => void;
}

const schema = z
  .object({
    meter: z.custom<Meter>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Meter).createCounter === 'function',
      'expected an OpenTelemetry Meter (meterProvider.getMeter(name))',
    ),
    ...metricsBackendShape,
    taskBuckets: bucketsSchema.default([...DEFAULT_TASK_BUCKETS]),
    stepBuckets: bucketsSchema.default([...DEFAULT_STEP_BUCKETS]),
  })
  .strict();

interface Instruments {
  readonly tasks: Counter;
  readonly taskDuration: Histogram;
  readonly steps: Counter;
  readonly stepDuration: Histogram;
  readonly retries: Counter;
  readonly inProgress: UpDownCounter;
}

/** Attribute objects are made once per label set and outcome, and reused for every update. */
class OtelTaskSeries implements TaskSeries {
  readonly #i: Instruments;
  readonly #base: Attributes;
  readonly #byOutcome = new Map<string, Attributes>();

  constructor(i: Instruments, base: Attributes) {
    this.#i = i;
    this.#base = base;
  }

  protected attributes(outcome: string): Attributes {
    let a = this.#byOutcome.get(outcome);
    if (a === undefined) {
      a = Object.freeze({ ...this.#base, 'tasker.outcome': outcome });
      this.#byOutcome.set(outcome, a);
    }
    return a;
  }

  count(outcome: TaskOutcome, by: number): void {
    this.#i.tasks.add(by, this.attributes(outcome));
  }

  duration(outcome: TaskOutcome, seconds: number): void {
    this.#i.taskDuration.record(seconds, this.attributes(outcome));
  }
}

class OtelStepSeries extends OtelTaskSeries implements StepSeries {
  readonly #i: Instruments;
  readonly #base: Attributes;

  constructor(i: Instruments, base: Attributes) {
    super(i, base);
    this.#i = i;
    this.#base = base;
  }

  override count(outcome: StepOutcome, by: number): void {
    this.#i.steps.add(by, this.attributes(outcome));
  }

  override duration(outcome: StepOutcome, seconds: number): void {
    this.#i.stepDuration.record(seconds, this.attributes(outcome));
  }

  retry(by: number): void {
    this.#i.retries.add(by, this.#base);
  }

  inProgress(delta: 1 | -1): void {
    this.#i.inProgress.add(delta, this.#base);
  }
}

function taskAttributes(l: TaskLabels): Attributes {
  return { 'tasker.namespace': l.namespace, 'tasker.task_name': l.name, 'tasker.task_version': l.version };
}

/**
 * A router backend that records lifecycle events as OpenTelemetry instruments on your meter:
 * `tasker.tasks` and `tasker.steps` (counters by `tasker.outcome`), `tasker.task.duration` and
 * `tasker.step.duration` (histograms, seconds), `tasker.step.retries` (counter) and
 * `tasker.steps.in_progress` (up-down counter). Attributes: `tasker.namespace`,
 * `tasker.task_name`, `tasker.task_version`, and `tasker.step_name` on step instruments.
 * Counts are scaled by `1 / event.samplingRate`.
 *
 * @example
 * ```ts
 * const meter = meterProvider.getMeter('tasker');
 * const router = createEventRouter({ backends: { metrics: createOtelMetricsBackend({ meter }) } });
 * ```
 */
export function createOtelMetricsBackend(options: OtelMetricsBackendOptions): MetricsBackend {
  const o = parseOptions('createOtelMetricsBackend', schema, options);
  const m = o.meter;
  const i: Instruments = {
    tasks: m.createCounter(OTEL_METRIC_NAMES.tasks, {
      description: 'Tasks that ended, by outcome.',
      unit: '{task}',
    }),
    taskDuration: m.createHistogram(OTEL_METRIC_NAMES.taskDuration, {
      description: 'Time from a task’s creation to its completion or failure.',
      unit: 's',
      advice: { explicitBucketBoundaries: o.taskBuckets },
    }),
    steps: m.createCounter(OTEL_METRIC_NAMES.steps, {
      description: 'Step attempts that ended, by outcome.',
      unit: '{attempt}',
    }),
    stepDuration: m.createHistogram(OTEL_METRIC_NAMES.stepDuration, {
      description: 'Time a step attempt’s handler ran.',
      unit: 's',
      advice: { explicitBucketBoundaries: o.stepBuckets },
    }),
    retries: m.createCounter(OTEL_METRIC_NAMES.stepRetries, {
      description: 'Retries of steps.',
      unit: '{retry}',
    }),
    inProgress: m.createUpDownCounter(OTEL_METRIC_NAMES.stepsInProgress, {
      description: 'Steps this process is running now.',
      unit: '{step}',
    }),
  };
  const retention = m.createCounter(OTEL_METRIC_NAMES.retentionRemoved, {
    description:
      'Rows the retention sweep removed (tasks, transitions, identity_keys) or archived, by tasker.kind.',
    unit: '{row}',
  });
  const sink: LifecycleMetricsSink = {
    retention: (kind, by) => retention.add(by, { 'tasker.kind': kind }),
    task: (labels) => new OtelTaskSeries(i, taskAttributes(labels)),
    step: (labels: StepLabels) =>
      new OtelStepSeries(i, { ...taskAttributes(labels), 'tasker.step_name': labels.step }),
  };
  const core = new LifecycleMetrics(o.name, sink, o.labelSetLimit, o.warn ?? defaultWarn);
  return {
    name: o.name,
    handle: (event: RoutedEvent) => core.handle(event),
    stats: (): MetricsBackendStats => core.stats(),
  };
}
