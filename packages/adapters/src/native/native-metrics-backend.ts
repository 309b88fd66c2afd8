import type {
  CounterHandle,
  GaugeHandle,
  HistogramHandle,
  LabelledCounter,
  LabelledGauge,
  LabelledHistogram,
  Registry,
} from '@tasker/metrics-native';
import type { RoutedEvent, RouterBackend } from '@tasker/router';
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
import { OutcomeHandles } from '../shared/outcome-handles';
import { parseOptions } from '../shared/parse-options';
import type { TraceParent } from '../shared/trace-parent';
import { defaultWarn } from '../shared/warn-once';
import { METRIC_HELP, METRIC_NAMES, STEP_LABELS, TASK_LABELS } from './metric-names';

/** Options of {@link createNativeMetricsBackend}. */
export interface NativeMetricsBackendOptions {
  /** The `@tasker/metrics-native` registry to record into. */
  readonly registry: Registry;
  /** The backend's name (what router mappings list). Default `metrics`. */
  readonly name?: string;
  /** Most distinct task (and step) label sets with a series of their own. Default 1000. */
  readonly labelSetLimit?: number;
  /** Buckets of `tasker_task_duration_seconds`. Default 50 ms … 1 h. */
  readonly taskBuckets?: readonly number[];
  /** Buckets of `tasker_step_duration_seconds`. Default 5 ms … 5 min. */
  readonly stepBuckets?: readonly number[];
  /** Put the event's trace id on duration observations as an exemplar. Default true. */
  readonly exemplars?: boolean;
  /** Where one-time warnings about dropped events go. Default `process.emitWarning`. */
  readonly warn?: (message: string) => void;
}

/** A router backend that records lifecycle events as metrics. */
export interface MetricsBackend extends RouterBackend {
  /** What it recorded, ignored and dropped. */
  stats(): MetricsBackendStats;
}

const schema = z
  .object({
    registry: z.custom<Registry>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Registry).counter === 'function',
      'expected a @tasker/metrics-native registry (createRegistry())',
    ),
    ...metricsBackendShape,
    taskBuckets: bucketsSchema.default([...DEFAULT_TASK_BUCKETS]),
    stepBuckets: bucketsSchema.default([...DEFAULT_STEP_BUCKETS]),
    exemplars: z.boolean().default(true),
  })
  .strict();

type TaskLabel = (typeof TASK_LABELS)[number] | 'outcome';
type StepLabel = (typeof STEP_LABELS)[number] | 'outcome';
type StepOnly = (typeof STEP_LABELS)[number];

interface Instruments {
  readonly tasks: LabelledCounter<TaskLabel>;
  readonly taskDuration: LabelledHistogram<TaskLabel>;
  readonly steps: LabelledCounter<StepLabel>;
  readonly stepDuration: LabelledHistogram<StepLabel>;
  readonly retries: LabelledCounter<StepOnly>;
  readonly inProgress: LabelledGauge<StepOnly>;
  readonly retention: LabelledCounter<'kind'>;
  readonly exemplars: boolean;
}

function exemplarOf(on: boolean, trace: TraceParent | undefined): Record<string, string> | undefined {
  return on && trace !== undefined ? { trace_id: trace.traceId, span_id: trace.spanId } : undefined;
}

/** The bound handles of one task label set, bound per outcome on first use. */
class NativeTaskSeries implements TaskSeries {
  readonly #exemplars: boolean;
  readonly #counts: OutcomeHandles<TaskOutcome, CounterHandle>;
  readonly #durations: OutcomeHandles<TaskOutcome, HistogramHandle>;

  constructor(i: Instruments, labels: TaskLabels) {
    this.#exemplars = i.exemplars;
    this.#counts = new OutcomeHandles((outcome) => i.tasks.labels({ ...labels, outcome }));
    this.#durations = new OutcomeHandles((outcome) => i.taskDuration.labels({ ...labels, outcome }));
  }

  count(outcome: TaskOutcome, by: number): void {
    this.#counts.get(outcome).inc(by);
  }

  duration(outcome: TaskOutcome, seconds: number, trace: TraceParent | undefined): void {
    this.#durations.get(outcome).observe(seconds, exemplarOf(this.#exemplars, trace));
  }
}

class NativeStepSeries implements StepSeries {
  readonly #exemplars: boolean;
  readonly #counts: OutcomeHandles<StepOutcome, CounterHandle>;
  readonly #durations: OutcomeHandles<StepOutcome, HistogramHandle>;
  readonly #retries: CounterHandle;
  readonly #inProgress: GaugeHandle;

  constructor(i: Instruments, labels: StepLabels) {
    this.#exemplars = i.exemplars;
    this.#counts = new OutcomeHandles((outcome) => i.steps.labels({ ...labels, outcome }));
    this.#durations = new OutcomeHandles((outcome) => i.stepDuration.labels({ ...labels, outcome }));
    this.#retries = i.retries.labels(labels);
    this.#inProgress = i.inProgress.labels(labels);
  }

  count(outcome: StepOutcome, by: number): void {
    this.#counts.get(outcome).inc(by);
  }

  duration(outcome: StepOutcome, seconds: number, trace: TraceParent | undefined): void {
    this.#durations.get(outcome).observe(seconds, exemplarOf(this.#exemplars, trace));
  }

  retry(by: number): void {
    this.#retries.inc(by);
  }

  inProgress(delta: 1 | -1): void {
    this.#inProgress.inc(delta);
  }
}

/**
 * A router backend that turns lifecycle events into `@tasker/metrics-native` metrics:
 * `tasker_tasks_total`, `tasker_task_duration_seconds`, `tasker_steps_total`,
 * `tasker_step_duration_seconds`, `tasker_step_retries_total` and `tasker_steps_in_progress`
 * (see the package README for labels and meaning). Counts are scaled by
 * `1 / event.samplingRate`; a payload's trace id becomes an exemplar on the durations.
 *
 * @example
 * ```ts
 * import { createRegistry } from '@tasker/metrics-native';
 * import { createEventRouter } from '@tasker/router';
 * import { createNativeMetricsBackend } from '@tasker/adapters/native';
 *
 * const registry = createRegistry();
 * const router = createEventRouter({ backends: { metrics: createNativeMetricsBackend({ registry }) } });
 * ```
 */
export function createNativeMetricsBackend(options: NativeMetricsBackendOptions): MetricsBackend {
  const o = parseOptions('createNativeMetricsBackend', schema, options);
  const r = o.registry;
  const i: Instruments = {
    tasks: r.counter({
      name: METRIC_NAMES.tasks,
      help: METRIC_HELP.tasks,
      labelNames: [...TASK_LABELS, 'outcome'],
    }),
    taskDuration: r.histogram({
      name: METRIC_NAMES.taskDuration,
      help: METRIC_HELP.taskDuration,
      unit: 'seconds',
      labelNames: [...TASK_LABELS, 'outcome'],
      buckets: o.taskBuckets,
    }),
    steps: r.counter({
      name: METRIC_NAMES.steps,
      help: METRIC_HELP.steps,
      labelNames: [...STEP_LABELS, 'outcome'],
    }),
    stepDuration: r.histogram({
      name: METRIC_NAMES.stepDuration,
      help: METRIC_HELP.stepDuration,
      unit: 'seconds',
      labelNames: [...STEP_LABELS, 'outcome'],
      buckets: o.stepBuckets,
    }),
    retries: r.counter({
      name: METRIC_NAMES.stepRetries,
      help: METRIC_HELP.stepRetries,
      labelNames: STEP_LABELS,
    }),
    inProgress: r.gauge({
      name: METRIC_NAMES.stepsInProgress,
      help: METRIC_HELP.stepsInProgress,
      labelNames: STEP_LABELS,
    }),
    retention: r.counter({
      name: METRIC_NAMES.retentionRemoved,
      help: METRIC_HELP.retentionRemoved,
      labelNames: ['kind'],
    }),
    exemplars: o.exemplars,
  };
  const sink: LifecycleMetricsSink = {
    task: (labels) => new NativeTaskSeries(i, labels),
    step: (labels) => new NativeStepSeries(i, labels),
    retention: (kind, by) => i.retention.labels({ kind }).inc(by),
  };
  const core = new LifecycleMetrics(o.name, sink, o.labelSetLimit, o.warn ?? defaultWarn);
  return {
    name: o.name,
    handle: (event: RoutedEvent) => core.handle(event),
    stats: () => core.stats(),
  };
}
