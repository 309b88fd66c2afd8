/**
 * The event → metrics mapping shared by the metrics backends (`/native`, `/prom-client`, and
 * OpenTelemetry metrics in `/otel`). It reads lifecycle events and calls a sink's series:
 *
 * | event                                   | series call                                             |
 * | --------------------------------------- | ------------------------------------------------------- |
 * | `task.completed` / `task.failed`        | task count (outcome `completed` / `failed`) and duration |
 * | `task.cancelled` / `task.resolved_manually` | task count                                          |
 * | `step.completed` / `step.failed`        | step count and duration (per attempt), leaves in-progress |
 * | `step.cancelled` / `step.resolved_manually` | step count, leaves in-progress                      |
 * | `observability.step.skip`               | step count (outcome `skipped`)                          |
 * | `step.retry_requested`                  | step retries                                            |
 * | `step.execution_requested`              | enters in-progress                                      |
 * | `step.before_transition` from `in_progress` | leaves in-progress (a lease that expired)           |
 * | `retention.swept`                       | rows removed by the orchestrator's retention sweep, by kind |
 *
 * Counts are scaled by `1 / event.samplingRate`, so that counters estimate the true totals when
 * events are sampled. Durations and the in-progress gauge are not scaled (see the README).
 *
 * Series are cached per label set in a trie of maps, so an event for a known label set builds
 * no key and allocates nothing. Label sets are bounded: past `labelSetLimit` distinct sets (of
 * tasks, and of steps), new ones share one overflow series whose labels are all `_overflow`.
 */
import type { RoutedEvent } from '@tasker/router';
import { type TraceParent, traceParentOf } from './trace-parent';
import { DropCounter, type Warn } from './warn-once';

/** How a task ended. */
export type TaskOutcome = 'completed' | 'failed' | 'cancelled' | 'resolved_manually';
/** How a step attempt ended. */
export type StepOutcome = 'completed' | 'failed' | 'cancelled' | 'resolved_manually' | 'skipped';

/** The labels of a task series. */
export interface TaskLabels {
  readonly namespace: string;
  readonly name: string;
  readonly version: string;
}

/** The labels of a step series. */
export interface StepLabels extends TaskLabels {
  readonly step: string;
}

/** A task label set's instruments, as a sink binds them. */
export interface TaskSeries {
  count(outcome: TaskOutcome, by: number): void;
  duration(outcome: TaskOutcome, seconds: number, trace: TraceParent | undefined): void;
}

/** A step label set's instruments. */
export interface StepSeries {
  count(outcome: StepOutcome, by: number): void;
  duration(outcome: StepOutcome, seconds: number, trace: TraceParent | undefined): void;
  retry(by: number): void;
  inProgress(delta: 1 | -1): void;
}

/** What the retention sweep removes (or archives), as counted by `retention.swept`. */
export type RetentionKind = 'tasks' | 'transitions' | 'archived' | 'identity_keys';

/** Where a metrics backend records: it binds a label set's instruments once, when first seen. */
export interface LifecycleMetricsSink {
  task(labels: TaskLabels): TaskSeries;
  step(labels: StepLabels): StepSeries;
  /** Rows the retention sweep removed (archived), by kind. */
  retention(kind: RetentionKind, by: number): void;
}

/** `retention.swept` payload fields → the kind they count. */
const RETENTION_FIELDS: readonly (readonly [string, RetentionKind])[] = [
  ['tasks', 'tasks'],
  ['transitions', 'transitions'],
  ['archived', 'archived'],
  ['identityKeys', 'identity_keys'],
];

/** What a metrics backend counted about itself. */
export interface MetricsBackendStats {
  /** Events that updated at least one series. */
  readonly recorded: number;
  /** Events this backend has no metric for (they are fine to route here, and cost a map read). */
  readonly ignored: number;
  /** Events dropped because a field was missing or mistyped, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Distinct task and step label sets with a series of their own. */
  readonly labelSets: { readonly tasks: number; readonly steps: number };
  /** Updates that went to the overflow series because the label-set limit was reached. */
  readonly overflowed: number;
  /** Steps this backend sees running now (entered in-progress and not left it). */
  readonly inProgress: number;
}

/** The value every label of the overflow series has. */
export const OVERFLOW_LABEL_VALUE = '_overflow';

/** Default most distinct task (and step) label sets with a series of their own. */
export const DEFAULT_LABEL_SET_LIMIT = 1000;

/** Most steps tracked as in progress at once; past it, new ones are not tracked (and counted). */
const IN_PROGRESS_LIMIT = 100_000;

type Handler = (core: LifecycleMetrics, event: RoutedEvent) => boolean;

interface TaskEntry {
  readonly series: TaskSeries;
  readonly labels: TaskLabels;
  readonly steps: Map<string, StepSeries>;
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function scale(event: RoutedEvent): number {
  const rate = event.samplingRate;
  return typeof rate === 'number' && rate > 0 && rate <= 1 ? 1 / rate : 1;
}

function seconds(payload: { durationMs?: unknown }): number | undefined {
  const ms = payload.durationMs;
  return typeof ms === 'number' && ms >= 0 && ms < Number.POSITIVE_INFINITY ? ms / 1000 : undefined;
}

type Payload = Record<string, unknown>;

const taskOutcome =
  (outcome: TaskOutcome): Handler =>
  (core, event) => {
    const p = event.payload as Payload;
    const series = core.taskSeries(p);
    if (series === undefined) return false;
    series.count(outcome, scale(event));
    if (outcome === 'completed' || outcome === 'failed') {
      const s = seconds(p);
      if (s !== undefined) series.duration(outcome, s, traceParentOf(p));
    }
    return true;
  };

const stepOutcome =
  (outcome: StepOutcome, timed: boolean, leaves: boolean): Handler =>
  (core, event) => {
    const p = event.payload as Payload;
    const series = core.stepSeries(p);
    if (series === undefined) return false;
    series.count(outcome, scale(event));
    if (timed) {
      const s = seconds(p);
      if (s !== undefined) series.duration(outcome, s, traceParentOf(p));
    }
    if (leaves) core.leave(p.stepId);
    return true;
  };

const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['task.completed', taskOutcome('completed')],
  ['task.failed', taskOutcome('failed')],
  ['task.cancelled', taskOutcome('cancelled')],
  ['task.resolved_manually', taskOutcome('resolved_manually')],
  ['step.completed', stepOutcome('completed', true, true)],
  ['step.failed', stepOutcome('failed', true, true)],
  ['step.cancelled', stepOutcome('cancelled', false, true)],
  ['step.resolved_manually', stepOutcome('resolved_manually', false, true)],
  ['observability.step.skip', stepOutcome('skipped', false, false)],
  [
    'step.retry_requested',
    (core, event) => {
      const series = core.stepSeries(event.payload as Payload);
      if (series === undefined) return false;
      series.retry(scale(event));
      return true;
    },
  ],
  [
    'step.execution_requested',
    (core, event) => {
      const p = event.payload as Payload;
      const series = core.stepSeries(p);
      if (series === undefined) return false;
      core.enter(p.stepId, series);
      return true;
    },
  ],
  [
    'retention.swept',
    (core, event) => {
      // A dry run removes nothing.
      const p = event.payload as Payload;
      if (p.dryRun === true) return false;
      return core.retention(p);
    },
  ],
  [
    'step.before_transition',
    (core, event) => {
      const p = event.payload as Payload;
      if (p.fromState !== 'in_progress') return false;
      return core.leave(p.stepId);
    },
  ],
]);

/** The shared core of the metrics backends. Make one per backend. */
export class LifecycleMetrics {
  readonly #sink: LifecycleMetricsSink;
  readonly #limit: number;
  readonly #drops: DropCounter;
  readonly #tasks = new Map<string, Map<string, Map<string, TaskEntry>>>();
  readonly #running = new Map<string, StepSeries>();
  #taskSets = 0;
  #stepSets = 0;
  #overflowTask: TaskEntry | undefined;
  #overflowStep: StepSeries | undefined;
  #overflowed = 0;
  #overflowWarned = false;
  readonly #warn: Warn;
  readonly #backend: string;
  #recorded = 0;
  #ignored = 0;

  constructor(backend: string, sink: LifecycleMetricsSink, labelSetLimit: number, warn: Warn) {
    this.#sink = sink;
    this.#limit = labelSetLimit;
    this.#drops = new DropCounter(backend, warn);
    this.#warn = warn;
    this.#backend = backend;
  }

  /** Records one event. Never throws for a bad payload: it is dropped and counted. */
  handle(event: RoutedEvent): void {
    const handler = HANDLERS.get(event.name);
    if (handler === undefined) {
      this.#ignored++;
      return;
    }
    if (typeof event.payload !== 'object' || event.payload === null) {
      this.#drops.drop('payload', () => `dropped ${event.name}: its payload is not an object`);
      return;
    }
    if (handler(this, event)) this.#recorded++;
  }

  stats(): MetricsBackendStats {
    return {
      recorded: this.#recorded,
      ignored: this.#ignored,
      dropped: this.#drops.counts(),
      labelSets: { tasks: this.#taskSets, steps: this.#stepSets },
      overflowed: this.#overflowed,
      inProgress: this.#running.size,
    };
  }

  /** @internal Counts a retention run's removals; a missing or bad figure is dropped. */
  retention(p: Payload): boolean {
    let counted = false;
    for (const [field, kind] of RETENTION_FIELDS) {
      const n = p[field];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
        this.#drops.drop(`retention.${field}`, () => `dropped retention.swept's ${field}: not a count`);
        continue;
      }
      if (n > 0) this.#sink.retention(kind, n);
      counted = true;
    }
    return counted;
  }

  /** @internal The task entry of a payload's labels, or undefined (dropped) when they are bad. */
  taskSeries(p: Payload): TaskSeries | undefined {
    return this.#taskEntry(p)?.series;
  }

  /** @internal The step series of a payload's labels, or undefined (dropped) when they are bad. */
  stepSeries(p: Payload): StepSeries | undefined {
    const entry = this.#taskEntry(p);
    if (entry === undefined) return undefined;
    const step = p.stepName;
    if (!str(step)) {
      this.#drops.drop('stepName', () => 'dropped a step event without a string stepName');
      return undefined;
    }
    const found = entry.steps.get(step);
    if (found !== undefined) return found;
    if (entry === this.#overflowTask || this.#stepSets >= this.#limit) return this.#overflowStepSeries();
    const series = this.#sink.step({ ...entry.labels, step });
    entry.steps.set(step, series);
    this.#stepSets++;
    return series;
  }

  /** @internal */
  enter(stepId: unknown, series: StepSeries): void {
    if (!str(stepId) || this.#running.has(stepId)) return;
    if (this.#running.size >= IN_PROGRESS_LIMIT) {
      this.#drops.drop(
        'inProgressLimit',
        () => `more than ${IN_PROGRESS_LIMIT} steps in progress; not tracking more`,
      );
      return;
    }
    this.#running.set(stepId, series);
    series.inProgress(1);
  }

  /** @internal */
  leave(stepId: unknown): boolean {
    if (!str(stepId)) return false;
    const series = this.#running.get(stepId);
    if (series === undefined) return false;
    this.#running.delete(stepId);
    series.inProgress(-1);
    return true;
  }

  #taskEntry(p: Payload): TaskEntry | undefined {
    const { namespace, taskName, version } = p;
    if (!str(namespace) || !str(taskName) || !str(version)) {
      this.#drops.drop('taskLabels', () => 'dropped an event without string namespace, taskName and version');
      return undefined;
    }
    let byName = this.#tasks.get(namespace);
    const found = byName?.get(taskName)?.get(version);
    if (found !== undefined) return found;
    if (this.#taskSets >= this.#limit) return this.#overflowTaskEntry();
    const labels: TaskLabels = { namespace, name: taskName, version };
    const entry: TaskEntry = { series: this.#sink.task(labels), labels, steps: new Map() };
    if (byName === undefined) {
      byName = new Map();
      this.#tasks.set(namespace, byName);
    }
    let byVersion = byName.get(taskName);
    if (byVersion === undefined) {
      byVersion = new Map();
      byName.set(taskName, byVersion);
    }
    byVersion.set(version, entry);
    this.#taskSets++;
    return entry;
  }

  #warnOverflow(): void {
    if (this.#overflowWarned) return;
    this.#overflowWarned = true;
    try {
      this.#warn(
        `[tasker ${this.#backend}] more than ${this.#limit} task or step label sets; further ones share the series whose labels are "${OVERFLOW_LABEL_VALUE}"`,
      );
    } catch {
      // A throwing warn must not break the hot path.
    }
  }

  #overflowTaskEntry(): TaskEntry {
    this.#overflowed++;
    if (this.#overflowTask === undefined) {
      const labels: TaskLabels = {
        namespace: OVERFLOW_LABEL_VALUE,
        name: OVERFLOW_LABEL_VALUE,
        version: OVERFLOW_LABEL_VALUE,
      };
      this.#overflowTask = { series: this.#sink.task(labels), labels, steps: new Map() };
      this.#warnOverflow();
    }
    return this.#overflowTask;
  }

  #overflowStepSeries(): StepSeries {
    this.#overflowed++;
    if (this.#overflowStep === undefined) this.#warnOverflow();
    this.#overflowStep ??= this.#sink.step({
      namespace: OVERFLOW_LABEL_VALUE,
      name: OVERFLOW_LABEL_VALUE,
      version: OVERFLOW_LABEL_VALUE,
      step: OVERFLOW_LABEL_VALUE,
    });
    return this.#overflowStep;
  }
}
