import type { RoutedEvent } from '@tasker/router';
import { Counter, Gauge, Histogram, type Registry as PromRegistry } from 'prom-client';
import { z } from 'zod';
import { METRIC_HELP, METRIC_NAMES, STEP_LABELS, TASK_LABELS } from '../native/metric-names';
import type { MetricsBackend } from '../native/native-metrics-backend';
import {
  bucketsSchema,
  DEFAULT_STEP_BUCKETS,
  DEFAULT_TASK_BUCKETS,
  metricsBackendShape,
} from '../shared/backend-options';
import {
  LifecycleMetrics,
  type LifecycleMetricsSink,
  type StepLabels,
  type StepOutcome,
  type StepSeries,
  type TaskLabels,
  type TaskOutcome,
  type TaskSeries,
} from '../shared/lifecycle-metrics';
import { OutcomeHandles } from '../shared/outcome-handles';
import { parseOptions } from '../shared/parse-options';
import { defaultWarn } from '../shared/warn-once';

/** Options of {@link createPromClientBackend}. */
export interface PromClientBackendOptions {
  /** The prom-client registry to register the metrics in (not the global one unless you pass it). */
  readonly registry: PromRegistry;
  /** The backend's name (what router mappings list). Default `metrics`. */
  readonly name?: string;
  /** Most distinct task (and step) label sets with a series of their own. Default 1000. */
  readonly labelSetLimit?: number;
  readonly taskBuckets?: readonly number[];
  readonly stepBuckets?: readonly number[];
  readonly warn?: (message: string) => void;
}

const schema = z
  .object({
    registry: z.custom<PromRegistry>(
      (v) => typeof v === 'object' && v !== null && typeof (v as PromRegistry).registerMetric === 'function',
      'expected a prom-client Registry (new Registry())',
    ),
    ...metricsBackendShape,
    taskBuckets: bucketsSchema.default([...DEFAULT_TASK_BUCKETS]),
    stepBuckets: bucketsSchema.default([...DEFAULT_STEP_BUCKETS]),
  })
  .strict();

type TaskLabel = (typeof TASK_LABELS)[number] | 'outcome';
type StepLabel = (typeof STEP_LABELS)[number] | 'outcome';
type StepOnly = (typeof STEP_LABELS)[number];

interface Instruments {
  readonly tasks: Counter<TaskLabel>;
  readonly taskDuration: Histogram<TaskLabel>;
  readonly steps: Counter<StepLabel>;
  readonly stepDuration: Histogram<StepLabel>;
  readonly retries: Counter<StepOnly>;
  readonly inProgress: Gauge<StepOnly>;
}

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

/** prom-client children are bound per label set and outcome once, then reused. */
class PromTaskSeries implements TaskSeries {
  readonly #counts: OutcomeHandles<TaskOutcome, CounterChild>;
  readonly #durations: OutcomeHandles<TaskOutcome, HistogramChild>;

  constructor(i: Instruments, labels: TaskLabels) {
    this.#counts = new OutcomeHandles((outcome) => i.tasks.labels({ ...labels, outcome }));
    this.#durations = new OutcomeHandles((outcome) => i.taskDuration.labels({ ...labels, outcome }));
  }

  count(outcome: TaskOutcome, by: number): void {
    this.#counts.get(outcome).inc(by);
  }

  duration(outcome: TaskOutcome, seconds: number): void {
    this.#durations.get(outcome).observe(seconds);
  }
}

class PromStepSeries implements StepSeries {
  readonly #counts: OutcomeHandles<StepOutcome, CounterChild>;
  readonly #durations: OutcomeHandles<StepOutcome, HistogramChild>;
  readonly #retries: CounterChild;
  readonly #inProgress: ReturnType<Gauge<string>['labels']>;

  constructor(i: Instruments, labels: StepLabels) {
    this.#counts = new OutcomeHandles((outcome) => i.steps.labels({ ...labels, outcome }));
    this.#durations = new OutcomeHandles((outcome) => i.stepDuration.labels({ ...labels, outcome }));
    this.#retries = i.retries.labels(labels);
    this.#inProgress = i.inProgress.labels(labels);
  }

  count(outcome: StepOutcome, by: number): void {
    this.#counts.get(outcome).inc(by);
  }

  duration(outcome: StepOutcome, seconds: number): void {
    this.#durations.get(outcome).observe(seconds);
  }

  retry(by: number): void {
    this.#retries.inc(by);
  }

  inProgress(delta: 1 | -1): void {
    this.#inProgress.inc(delta);
  }
}

/**
 * A router backend that records lifecycle events into your prom-client registry, with the same
 * metric names, labels and sampling scaling as `/native`'s backend (exemplars are not written:
 * prom-client keeps them only for OpenMetrics registries made with `enableExemplars`).
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { createPromClientBackend } from '@tasker/adapters/prom-client';
 *
 * const registry = new Registry();
 * const router = createEventRouter({ backends: { metrics: createPromClientBackend({ registry }) } });
 * app.get('/metrics', async (_, res) => res.type(registry.contentType).send(await registry.metrics()));
 * ```
 */
export function createPromClientBackend(options: PromClientBackendOptions): MetricsBackend {
  const o = parseOptions('createPromClientBackend', schema, options);
  const registers = [o.registry];
  const i: Instruments = {
    tasks: new Counter({
      name: METRIC_NAMES.tasks,
      help: METRIC_HELP.tasks,
      labelNames: [...TASK_LABELS, 'outcome'],
      registers,
    }),
    taskDuration: new Histogram({
      name: METRIC_NAMES.taskDuration,
      help: METRIC_HELP.taskDuration,
      labelNames: [...TASK_LABELS, 'outcome'],
      buckets: [...o.taskBuckets],
      registers,
    }),
    steps: new Counter({
      name: METRIC_NAMES.steps,
      help: METRIC_HELP.steps,
      labelNames: [...STEP_LABELS, 'outcome'],
      registers,
    }),
    stepDuration: new Histogram({
      name: METRIC_NAMES.stepDuration,
      help: METRIC_HELP.stepDuration,
      labelNames: [...STEP_LABELS, 'outcome'],
      buckets: [...o.stepBuckets],
      registers,
    }),
    retries: new Counter({
      name: METRIC_NAMES.stepRetries,
      help: METRIC_HELP.stepRetries,
      labelNames: [...STEP_LABELS],
      registers,
    }),
    inProgress: new Gauge({
      name: METRIC_NAMES.stepsInProgress,
      help: METRIC_HELP.stepsInProgress,
      labelNames: [...STEP_LABELS],
      registers,
    }),
  };
  const retention = new Counter({
    name: METRIC_NAMES.retentionRemoved,
    help: METRIC_HELP.retentionRemoved,
    labelNames: ['kind'],
    registers,
  });
  const sink: LifecycleMetricsSink = {
    task: (labels) => new PromTaskSeries(i, labels),
    step: (labels) => new PromStepSeries(i, labels),
    retention: (kind, by) => retention.labels({ kind }).inc(by),
  };
  const core = new LifecycleMetrics(o.name, sink, o.labelSetLimit, o.warn ?? defaultWarn);
  return { name: o.name, handle: (event: RoutedEvent) => core.handle(event), stats: () => core.stats() };
}
